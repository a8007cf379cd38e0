/**
 * What reporting reads of fees' events (src/projections.ts): each fee charged or refunded, by fee,
 * order and account, with its amount and time, for the fees report.
 */
import { expects, type Read } from '@simplebank/chassis/testing';
import { feesContract } from '@simplebank/fees/contract';

const fee: Read[] = ['feeId', 'orderId', 'accountId', 'amount', 'at'].map((path) => ({
  path,
  type: 'string' as const,
}));

export default expects(feesContract, {
  consumer: 'reporting',
  events: [
    { event: 'FeeCharged', description: 'a fee charged, in the fees report', reads: fee },
    { event: 'FeeRefunded', description: 'a fee refunded, in the fees report', reads: fee },
  ],
});
