/**
 * The SimpleBank services the all-in-one mode hosts, in start order. Each entry is a service's
 * definition (`services/<name>/src/service.ts`).
 */
import type { ServiceDefinition } from '@simplebank/chassis';
import { customersService } from '@simplebank/customers/service';
import { accountsService } from '@simplebank/accounts/service';
import { transactionsService } from '@simplebank/transactions/service';
import { paymentsService } from '@simplebank/payments/service';
import { marketDataService } from '@simplebank/market-data/service';
import { strategiesService } from '@simplebank/strategies/service';
import { exchangeService } from '@simplebank/exchange/service';
import { marketService } from '@simplebank/market/service';
import { feesService } from '@simplebank/fees/service';
import { ordersService } from '@simplebank/orders/service';
import { strategyOrdersService } from '@simplebank/strategy-orders/service';
import { holdingsService } from '@simplebank/holdings/service';
import { notificationsService } from '@simplebank/notifications/service';
import { reportingService } from '@simplebank/reporting/service';
import { gatewayService } from '@simplebank/gateway/service';

export const services: ServiceDefinition<any>[] = [
  customersService,
  accountsService,
  transactionsService,
  paymentsService,
  marketDataService,
  strategiesService,
  exchangeService,
  marketService,
  feesService,
  ordersService,
  strategyOrdersService,
  holdingsService,
  notificationsService,
  reportingService,
  gatewayService,
];
