/**
 * Route declarations: the shape every route in `routes.ts` has, and the
 * types that tie a route's schemas to its handler's input and output, so a
 * handler that reads a field its schema does not declare does not compile.
 */
import type { z } from 'zod';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call the route. `admin`: the admin API key and an admin JWT,
 * checked in the admin handler. `partner`: a partner API key, checked by the
 * API Gateway REQUEST authorizer before the partner handler runs. `public`:
 * anyone, no credential (served by the partner function; only for data that
 * is the same for every caller, such as the event catalog).
 */
export type RouteAuth = 'admin' | 'partner' | 'public';

type AnyObject = z.ZodObject<z.ZodRawShape>;

export interface RouteSpec<
  Params extends AnyObject | undefined = AnyObject | undefined,
  Query extends AnyObject | undefined = AnyObject | undefined,
  Body extends z.ZodType | undefined = z.ZodType | undefined,
  Response extends z.ZodType = z.ZodType,
  Auth extends RouteAuth = RouteAuth,
> {
  readonly method: HttpMethod;
  /** API Gateway style, e.g. `/tenants/{orgId}/webhooks/{id}`. */
  readonly path: string;
  readonly auth: Auth;
  readonly summary: string;
  /** The status of a successful answer. */
  readonly status: 200 | 201;
  readonly params?: Params;
  readonly query?: Query;
  readonly body?: Body;
  readonly response: Response;
  /** Refusals this route documents besides 400/401/500, for the OpenAPI document. */
  readonly errors?: readonly (403 | 404 | 409)[];
  /**
   * Lets clients and caches keep a success answer this long (with an ETag, so
   * a revalidation costs a 304). Only for answers that are the same for
   * every caller. @default no-store
   */
  readonly cacheSeconds?: number;
}

/** Keeps each route's exact schema types, so handlers get typed input. */
export function defineRoute<
  Params extends AnyObject | undefined = undefined,
  Query extends AnyObject | undefined = undefined,
  Body extends z.ZodType | undefined = undefined,
  Response extends z.ZodType = z.ZodType,
  Auth extends RouteAuth = RouteAuth,
>(spec: RouteSpec<Params, Query, Body, Response, Auth>): RouteSpec<Params, Query, Body, Response, Auth> {
  return spec;
}

type OutputOf<S> = [S] extends [undefined] ? undefined : z.output<NonNullable<S> & z.ZodType>;

/** What the router hands a route's handler once everything has been validated. */
export interface RouteInput<R extends RouteSpec, Caller> {
  readonly params: OutputOf<R['params']>;
  readonly query: OutputOf<R['query']>;
  readonly body: OutputOf<R['body']>;
  /** Nobody is authenticated on a `public` route. */
  readonly caller: R['auth'] extends 'public' ? undefined : Caller;
  /** Where the request came from, as API Gateway saw it: for the org's activity log. */
  readonly origin: { readonly sourceIp?: string; readonly userAgent?: string };
}

export type RouteHandler<R extends RouteSpec, Caller> = (
  input: RouteInput<R, Caller>,
) => Promise<z.input<R['response']>>;

/** One handler per route of the table, no more and no fewer. */
export type RouteHandlers<Table extends Record<string, RouteSpec>, Caller> = {
  readonly [Id in keyof Table]: RouteHandler<Table[Id], Caller>;
};
