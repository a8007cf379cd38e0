/** gateway: the public HTTP API (`/v1`); it offers no RPC methods and publishes no events. */
import { defineContract } from '@simplebank/chassis';

export const gatewayContract = defineContract({ service: 'gateway' });
