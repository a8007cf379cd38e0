/** @simplebank/chassis/rabbitmq: the RabbitMQ transport, and a service run in a process of its own over it. */
export * from './transport/rabbitmq/transport.ts';
export * from './runtime/service-process.ts';
