/**
 * The one error type the OData engine throws. Routes turn it into Graph's error envelope
 * (`{"error":{"code","message","innerError"}}`) with the status given here.
 *
 * @example
 *   throw new ODataError(400, "Request_UnsupportedQuery", "Sorting not supported for current query.");
 */
export class ODataError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "ODataError";
    this.status = status;
    this.code = code;
  }
}

// Message texts. "confirmed" = seen verbatim in a live Graph response quoted in a public issue
// (microsoftgraph/microsoft-graph-docs[-contrib], msgraph-sdk-*); "reference" = from
// docs/graph.md (which cites Microsoft's pages); "odata-lib" = the Microsoft.OData URI parser's wording,
// which Graph passes through for syntax errors (shape confirmed, exact wording per case unconfirmed).

export const badRequest = (message: string): ODataError => new ODataError(400, "BadRequest", message);
export const unsupportedQuery = (message: string): ODataError =>
  new ODataError(400, "Request_UnsupportedQuery", message);

/** odata-lib. */
export function syntaxError(position: number, text: string): ODataError {
  return badRequest(`Syntax error at position ${position} in '${text}'.`);
}

/** odata-lib; Graph answers this for e.g. an unquoted `$search=displayName:'x'` (confirmed shape). */
export function invalidCharacter(char: string, position: number, text: string): ODataError {
  return badRequest(`Syntax error: character '${char}' is not valid at position ${position} in '${text}'.`);
}

/** odata-lib. */
export function unterminatedString(position: number, text: string): ODataError {
  return badRequest(`There is an unterminated string literal at position ${position} in '${text}'.`);
}

/** confirmed ("Invalid filter clause", code BadRequest, msgraph-sdk-dotnet#1190; the detail after the colon is odata-lib). */
export function invalidFilter(detail?: string): ODataError {
  return badRequest(detail ? `Invalid filter clause: ${detail}` : "Invalid filter clause");
}

/** Unknown property in $filter/$orderby; odata-lib wording, as Graph returns it (unconfirmed for $filter). */
export function unknownProperty(property: string, entityType: string): ODataError {
  return badRequest(`Could not find a property named '${property}' on type '${entityType}'.`);
}

/** confirmed (microsoft-graph-docs-contrib#4529, with code BadRequest). */
export function unknownSelectProperty(property: string, entityType: string): ODataError {
  return badRequest(
    `Parsing OData Select and Expand failed: Could not find a property named '${property}' on type '${entityType}'.`,
  );
}

/** confirmed (microsoft-graph-docs-contrib#1726 'appRoleAssignmentRequired' of resource 'ServicePrincipal'). */
export function unsupportedFilterProperty(property: string, resourceLabel: string): ODataError {
  return unsupportedQuery(
    `Unsupported or invalid query filter clause specified for property '${property}' of resource '${resourceLabel}'.`,
  );
}

/** confirmed for 'NotEqualsMatch' and 'Contains' (microsoft-graph-docs-contrib#3042, #2919). */
export function unsupportedFilterOperator(operatorKind: string): ODataError {
  return unsupportedQuery(`Unsupported property filter clause operator '${operatorKind}'.`);
}

/** reference (docs/graph.md#query-options); the older service answered "Unsupported Query." (confirmed). */
export function advancedOperatorRequired(operator: string): ODataError {
  return unsupportedQuery(
    `Operator '${operator}' is not supported because the required parameters might be missing. ` +
      "Try adding $count=true query parameter and ConsistencyLevel:eventual header. " +
      "Refer to https://aka.ms/graph-docs/advanced-queries for more information",
  );
}

/** confirmed (microsoft-graph-docs#13942). */
export function complexLambda(property: string): ODataError {
  return unsupportedQuery(`Complex query on property ${property} is not supported.`);
}

/** confirmed (microsoft-graph-docs-contrib#4187, #3145). */
export const sortingNotSupported = (): ODataError =>
  unsupportedQuery("Sorting not supported for current query.");

/** confirmed (microsoft-graph-docs-contrib#1354). */
export function unsupportedSortProperty(property: string, resourceLabel: string): ODataError {
  return unsupportedQuery(`Unsupported sort property '${property}' for '${resourceLabel}'.`);
}

/** confirmed (microsoft-graph-docs-contrib#3495; no final period). */
export const searchNeedsEventual = (): ODataError =>
  unsupportedQuery(
    "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
  );

/** confirmed wording (microsoft-graph-docs-contrib#4925) for a $search Graph will not run. */
export const queryNotSupported = (): ODataError => unsupportedQuery("This query is not supported.");

/** reference (docs/graph.md#errors). */
export function invalidPageSize(raw: string, max = 999): ODataError {
  return unsupportedQuery(`Invalid page size specified: '${raw}'. Must be between 1 and ${max} inclusive.`);
}

/** Unconfirmed wording; directory resources page only by skip token (§4: "No $skip"). */
export const skipNotSupported = (): ODataError =>
  new ODataError(400, "Request_BadRequest", "'$skip' is not supported by the service.");

/** confirmed (microsoft-graph-docs-contrib#8352). */
export const tooManyExpands = (): ODataError =>
  badRequest("The result of parsing $expand contained at least 2 items, but the maximum allowed is 1.");

/** confirmed wording (microsoft-graph-docs-contrib#94) for an option a resource does not take. */
export function optionNotAllowed(optionName: string): ODataError {
  return badRequest(
    `The query specified in the URI is not valid. Query option '${optionName}' is not allowed. ` +
      "To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or QueryValidationSettings.",
  );
}

/** reference (docs/graph.md#query-options: code confirmed-by-spec, message unconfirmed). */
export const expiredPageToken = (): ODataError =>
  new ODataError(
    400,
    "Directory_ExpiredPageToken",
    "The specified page token value has expired and can no longer be included in your request.",
  );
