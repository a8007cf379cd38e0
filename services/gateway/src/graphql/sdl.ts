/**
 * The GraphQL schema of the gateway (api.md, "GraphQL"; the book's listing 3.1 grown up), as SDL.
 * Served as is (printed) at GET /graphql/schema.graphql. Money, prices, quantities and
 * percentages are `Decimal`: strings, never floats.
 */
export const SDL = /* GraphQL */ `
"""
A decimal number as a string, exactly as the REST API gives it: money to the cent ("1234.50"),
quantities to six decimals ("0.125000"). Never a float.
"""
scalar Decimal

"What you can read. Every field acts as the caller of /v1, with the same token and the same rights."
type Query {
  "You: your profile."
  me: Customer!
  "Your accounts, newest first (first: 1 to 100)."
  accounts(first: Int = 20): [Account!]!
  "One of your accounts (an admin: anyone's). Another customer's, or none: null with a NOT_FOUND error."
  account(id: ID!): Account
  "Instruments; q matches ticker or name, case-insensitive (first: 1 to 100)."
  assets(q: String, type: AssetType, first: Int = 20): [Asset!]!
  "Investment strategies, newest first (first: 1 to 100)."
  strategies(first: Int = 20): [Strategy!]!
  "One of your investments. Another customer's, or none: null with a NOT_FOUND error."
  investment(id: ID!): Investment
}

type Customer {
  id: ID!
  name: String!
  email: String!
  role: String!
  phone: String
  createdAt: String!
}

type Account {
  id: ID!
  name: String!
  currency: String!
  status: String!
  createdAt: String!
  "Cash, as GET /v1/accounts/{id} gives it."
  cash: Cash!
  "Positions valued at current prices, as GET /v1/accounts/{id}/holdings gives them."
  currentHoldings: [Holding!]!
  "The account's orders, newest first (first: 1 to 100)."
  orders(first: Int = 20, status: OrderStatus): [Order!]!
}

type Cash {
  available: Decimal!
  reserved: Decimal!
}

type Holding {
  asset: Asset
  quantity: Decimal!
  "Of the quantity, what open sell orders hold."
  reservedQuantity: Decimal!
  averageCost: Decimal!
  "The price the position is valued at; null when no price is known."
  price: Decimal
  "quantity × price; null when no price is known."
  value: Decimal
}

enum AssetType {
  stock
  fund
  etf
}

type Asset {
  id: ID!
  name: String!
  type: AssetType!
  currency: String!
  "The current price."
  price: Decimal!
}

enum OrderStatus {
  pending
  placed
  filled
  rejected
  failed
  canceled
  expired
}

enum Side {
  buy
  sell
}

type Order {
  id: ID!
  status: OrderStatus!
  side: Side!
  quantity: Decimal!
  "The price of the fill; null until filled."
  fillPrice: Decimal
  fee: Decimal!
  reason: String
  "customer, or strategy (placed by an investment)."
  source: String!
  createdAt: String!
  updatedAt: String!
  asset: Asset
  account: Account
}

type Strategy {
  id: ID!
  name: String!
  "The allocations, in the order the admin gave them; percentages sum to 100."
  assets: [Allocation!]!
  createdAt: String!
}

type Allocation {
  asset: Asset
  percentage: Decimal!
}

enum InvestmentStatus {
  awaiting_payment
  ordering
  completed
  failed
}

type Investment {
  id: ID!
  status: InvestmentStatus!
  reason: String
  amount: Decimal!
  "Once completed: invested + fees + leftover = amount."
  invested: Decimal!
  fees: Decimal!
  leftover: Decimal!
  createdAt: String!
  updatedAt: String!
  strategy: Strategy
  destinationAccount: Account
  orders: [InvestmentOrder!]!
}

type InvestmentOrder {
  orderId: ID!
  asset: Asset
  quantity: Decimal!
  status: OrderStatus!
}
`;
