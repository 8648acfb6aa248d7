//! The per-process context of an HTTP function, the bearer-token
//! extractor, the Lambda entry point and one request's view of a tenant.

use std::sync::Arc;

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::{StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use serde::Serialize;

use super::ApiError;
use crate::auth::{AuthError, Authenticator, Principal};
use crate::config::{Clock, Config};
use crate::envelope::{Envelope, ListEnvelope, Meta};

/// Clients, configuration and key cache, built once in `main` and shared.
pub struct ApiContext {
    pub dynamo: aws_sdk_dynamodb::Client,
    pub aggregates_table: String,
    /// Alert rules and their history (the alerts function).
    pub alerts_table: String,
    /// Where webhooks may point (locally also 127.0.0.1 and localhost).
    pub egress: crate::outbound::EgressPolicy,
    pub auth: Authenticator,
    pub clock: Clock,
    /// Where exports and reports go.
    #[cfg(feature = "s3")]
    pub exports: crate::exports::destination::Destination,
    /// Export jobs (the export API and its worker).
    pub export_jobs_table: String,
    /// The export worker's queue; `None` refuses jobs (503).
    #[cfg(feature = "jobs")]
    pub export_queue: Option<crate::queue::Queue>,
    /// The most rows an export writes within its request.
    pub export_sync_max_rows: u64,
    /// The most items a request reads before it is answered by a job
    /// instead (`SALES_SYNC_READ_BUDGET`).
    pub sync_read_budget: u64,
    /// The most export jobs a tenant may have queued or running.
    pub export_jobs_per_tenant: usize,
    pub cursors: crate::paging::CursorSigner,
    /// Reads the digests' one-click unsubscribe tokens.
    pub unsubscribe: crate::digests::unsubscribe::UnsubscribeSigner,
    /// Seals new rules' webhook signing secrets.
    #[cfg(feature = "alerts")]
    pub secrets: crate::alerts::sealed::SecretBox,
}

impl ApiContext {
    pub async fn from_config(config: &Config) -> Arc<Self> {
        Arc::new(ApiContext {
            dynamo: crate::aws::dynamodb(config).await,
            aggregates_table: config.aggregates_table.clone(),
            alerts_table: config.alerts_table.clone(),
            egress: config.egress.clone(),
            auth: Authenticator::new(config.auth.clone()),
            clock: config.clock(),
            #[cfg(feature = "s3")]
            exports: crate::exports::destination::Destination::from_config(config).await,
            export_jobs_table: config.export_jobs_table.clone(),
            #[cfg(feature = "jobs")]
            export_queue: crate::queue::Queue::at(config, config.export_queue_url.as_ref()).await,
            export_sync_max_rows: config.export_sync_max_rows,
            export_jobs_per_tenant: config.export_jobs_per_tenant,
            sync_read_budget: config.sync_read_budget,
            cursors: crate::paging::CursorSigner::new(
                config.cursor_secret.expose_secret().as_bytes(),
            ),
            unsubscribe: crate::digests::unsubscribe::UnsubscribeSigner::new(
                config.cursor_secret.expose_secret().as_bytes(),
            ),
            #[cfg(feature = "alerts")]
            secrets: crate::alerts::sealed::SecretBox::from_config(config).await,
        })
    }
}

impl FromRequestParts<Arc<ApiContext>> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<ApiContext>,
    ) -> Result<Self, Self::Rejection> {
        // Set in-process only (the export worker answering a deferred
        // request as the tenant that made it); never from a request.
        if let Some(principal) = parts.extensions.get::<Principal>() {
            return Ok(principal.clone());
        }
        let value = match parts.headers.get(header::AUTHORIZATION) {
            None => None,
            Some(v) => {
                Some(v.to_str().map_err(|_| AuthError::Invalid("header is not ASCII".into()))?)
            }
        };
        Ok(state.auth.authenticate(value).await?)
    }
}

/// A response made `status` (201, 202), with `Location` set to the path
/// of what was made.
pub fn made(mut response: Response, status: StatusCode, location: &str) -> Response {
    *response.status_mut() = status;
    if let Ok(value) = header::HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// JSON 404 for unknown paths, mounted as every router's fallback.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// The whole `main` of an HTTP function: logging, configuration, shared
/// context built once, and the router run by `lambda_http`.
pub async fn run_http_function(
    router: fn(Arc<ApiContext>) -> axum::Router,
) -> Result<(), lambda_http::Error> {
    crate::logging::init();
    let config = crate::secrets::resolve(Config::from_env()?).await?;
    let ctx = ApiContext::from_config(&config).await;
    lambda_http::run(lambda_handler(router(ctx))).await
}

/// The service `lambda_http` runs: the router behind
/// [`without_stage_prefix`]. Tests run it on API Gateway events.
pub fn lambda_handler(
    router: axum::Router,
) -> tower::util::MapRequest<axum::Router, fn(lambda_http::Request) -> lambda_http::Request> {
    tower::ServiceExt::map_request(router, without_stage_prefix as fn(_) -> _)
}

/// The request with API Gateway's stage taken off its path. Behind a
/// named stage (not `$default`), an HTTP API's `rawPath` starts with
/// `/{stage}` (and `lambda_http` adds it where it is missing), while the
/// routes are the paths of docs/api.md; the query string is kept as sent.
pub fn without_stage_prefix(mut request: lambda_http::Request) -> lambda_http::Request {
    use lambda_http::RequestExt;
    use lambda_http::request::RequestContext;
    let stage = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.stage.clone(),
        Some(RequestContext::ApiGatewayV1(context)) => context.stage.clone(),
        _ => None,
    };
    let Some(stage) = stage.filter(|s| !s.is_empty() && s != "$default") else { return request };
    let prefix = format!("/{stage}");
    let Some(rest) =
        request.uri().path().strip_prefix(&prefix).filter(|rest| rest.starts_with('/'))
    else {
        return request;
    };
    let path_and_query = match request.uri().query() {
        Some(query) => format!("{rest}?{query}"),
        None => rest.to_owned(),
    };
    let mut parts = request.uri().clone().into_parts();
    if let Ok(path_and_query) = path_and_query.parse() {
        parts.path_and_query = Some(path_and_query);
        if let Ok(uri) = axum::http::Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
    request
}

/// Response header carrying the DynamoDB items a request read.
pub const ITEMS_READ_HEADER: &str = "x-items-read";

/// One request's view of a tenant: its aggregates reader, settings, the
/// clock and the tenant-local today. Built after authorization.
pub struct TenantView<'a> {
    pub reader: crate::store::aggregates::AggregateReader<'a>,
    pub settings: crate::records::TenantSettings,
    pub now: DateTime<Utc>,
    pub today: chrono::NaiveDate,
    pub endpoint: &'static str,
    cursors: &'a crate::paging::CursorSigner,
    tenant: &'a str,
}

impl ApiContext {
    /// Checks the `sales:read` scope and opens the caller's tenant.
    pub async fn read_view<'a>(
        &'a self,
        principal: &'a Principal,
        endpoint: &'static str,
    ) -> Result<TenantView<'a>, ApiError> {
        self.view(principal, endpoint, crate::auth::Scope::Read).await
    }

    /// Checks `scope` and opens the caller's tenant.
    pub async fn view<'a>(
        &'a self,
        principal: &'a Principal,
        endpoint: &'static str,
        scope: crate::auth::Scope,
    ) -> Result<TenantView<'a>, ApiError> {
        principal.require(scope)?;
        let reader = crate::store::aggregates::AggregateReader::new(
            &self.dynamo,
            &self.aggregates_table,
            &principal.tenant_id,
        );
        let settings = reader.settings().await?;
        let now = self.clock.now();
        let today = crate::periods::local_today(now, settings.tz());
        Ok(TenantView {
            reader,
            settings,
            now,
            today,
            endpoint,
            cursors: &self.cursors,
            tenant: &principal.tenant_id,
        })
    }
}

impl TenantView<'_> {
    fn cursor_scope(&self, params: &crate::params::Params) -> crate::paging::CursorScope {
        crate::paging::CursorScope::new(self.endpoint, self.tenant, params.pairs())
    }

    /// Where the page starts: the position of the request's `cursor` (one
    /// this endpoint issued for the same tenant and query), `None` without
    /// one.
    pub fn position(
        &self,
        params: &crate::params::Params,
    ) -> Result<Option<crate::paging::Position>, ApiError> {
        let Some(cursor) = params.get("cursor") else { return Ok(None) };
        self.cursors.decode(&self.cursor_scope(params), cursor).map(Some).ok_or_else(|| {
            ApiError::parameter(
                "cursor",
                "`cursor` is not a cursor this API returned for this query (use meta.next_cursor)",
            )
        })
    }

    /// The offset the request's `cursor` names (0 without one).
    pub fn offset(&self, params: &crate::params::Params) -> Result<usize, ApiError> {
        Ok(crate::paging::Position::offset(self.position(params)?)?)
    }

    /// The key a key-paged list resumes after (`None` on the first page).
    pub fn after(&self, params: &crate::params::Params) -> Result<Option<String>, ApiError> {
        Ok(crate::paging::Position::key(self.position(params)?)?)
    }

    /// A list query's page: `{"data": [...], "meta": {..totals,
    /// next_cursor, generated_at, data_through}}`, the next page's position
    /// signed for this request's query.
    pub async fn respond_page<T: Serialize, M: Serialize>(
        &self,
        params: &crate::params::Params,
        page: crate::paging::ListPage<T, M>,
    ) -> Result<Response, ApiError> {
        let scope = self.cursor_scope(params);
        let next_cursor = page.next.map(|position| self.cursors.encode(&scope, &position));
        let meta = crate::envelope::ListMeta {
            totals: page.totals,
            next_cursor,
            meta: self.meta().await?,
        };
        Ok(self.finish(ListEnvelope { data: page.data, meta }))
    }

    async fn meta(&self) -> Result<Meta, ApiError> {
        let meta = Meta::new(self.now, self.reader.watermark().await?);
        tracing::info!(endpoint = self.endpoint, items_read = self.reader.items_read(), "served");
        Ok(meta)
    }

    /// The response, with the number of DynamoDB items the request read
    /// in `x-items-read` (for the read-cost measurements).
    fn finish<B: Serialize>(&self, body: B) -> Response {
        let mut response = Json(body).into_response();
        response
            .headers_mut()
            .insert(ITEMS_READ_HEADER, header::HeaderValue::from(self.reader.items_read()));
        response
    }

    /// `{"data": ..., "meta": {generated_at, data_through}}`.
    pub async fn respond<T: Serialize>(&self, data: T) -> Result<Response, ApiError> {
        let meta = self.meta().await?;
        Ok(self.finish(Envelope { data, meta }))
    }
}
