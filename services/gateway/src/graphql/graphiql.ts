/**
 * GraphiQL, the in-browser GraphQL IDE, for development (GET /graphql when NODE_ENV is not
 * production). The page loads GraphiQL from unpkg, pinned; the access token goes in its Headers
 * tab (`{"Authorization": "Bearer <accessToken>"}`, from POST /v1/auth/login), never in the page.
 */
const GRAPHIQL = '3.8.3';
const REACT = '18.3.1';

const DEFAULT_QUERY = `# Log in (POST /v1/auth/login), then put your access token in the Headers tab below:
# {"Authorization": "Bearer <accessToken>"}
{
  me { name }
  accounts {
    id
    name
    cash { available reserved }
    currentHoldings { asset { id name type price } quantity averageCost value }
    orders(first: 5) { id status side quantity fillPrice fee asset { id name } }
  }
}
`;

export function graphiqlPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>SimpleBank GraphQL</title>
  <link rel="stylesheet" href="https://unpkg.com/graphiql@${GRAPHIQL}/graphiql.min.css">
</head>
<body style="margin: 0">
  <div id="graphiql" style="height: 100vh"></div>
  <script crossorigin src="https://unpkg.com/react@${REACT}/umd/react.production.min.js"></script>
  <script crossorigin src="https://unpkg.com/react-dom@${REACT}/umd/react-dom.production.min.js"></script>
  <script crossorigin src="https://unpkg.com/graphiql@${GRAPHIQL}/graphiql.min.js"></script>
  <script>
    const fetcher = GraphiQL.createFetcher({ url: new URL('/graphql', location.href).toString() });
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, {
        fetcher,
        defaultQuery: ${JSON.stringify(DEFAULT_QUERY)},
        defaultHeaders: ${JSON.stringify(JSON.stringify({ Authorization: 'Bearer <accessToken>' }, null, 2))},
        shouldPersistHeaders: false,
      }),
    );
  </script>
</body>
</html>
`;
}
