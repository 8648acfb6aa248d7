//! The digest subscriptions API (`/api/v1/sales/subscriptions`, scope
//! `sales:reports`) and the one-click unsubscribe endpoint of digest emails
//! (`/api/v1/sales/unsubscribe`, its signed token instead of a login).
//! Handlers parse, authorize, call `sales_shared::digests`, respond.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use sales_shared::alerts::rule::UrlPolicy;
use sales_shared::alerts::signature::new_secret;
use sales_shared::auth::{Principal, Scope};
use sales_shared::digests::store::{
    DigestStore, MAX_SUBSCRIPTIONS_PER_TENANT, SUBSCRIPTION_ID_PREFIX, Subscription, Suppression,
    is_subscription_id,
};
use sales_shared::digests::subscription::{SubscriptionSpec, parse_subscription};
use sales_shared::digests::unsubscribe::Unsubscribe;
use sales_shared::envelope::NoTotals;
use sales_shared::http::{ApiContext, ApiError, TenantView, made};
use sales_shared::paging::ListPage;
use sales_shared::params::Params;
use serde::Serialize;

/// Every route of the subscriptions API.
fn table() -> [(&'static str, MethodRouter<Arc<ApiContext>>); 4] {
    [
        ("/api/v1/sales/subscriptions", get(list).post(create)),
        ("/api/v1/sales/subscriptions/{id}", get(show).put(replace).delete(remove)),
        ("/api/v1/sales/subscriptions/{id}/deliveries", get(deliveries)),
        (sales_shared::digests::unsubscribe::PATH, get(confirm_page).post(unsubscribe)),
    ]
}

sales_shared::http_function_routes!(table);

/// A subscription from a request body, its webhooks' hosts checked as
/// they resolve now under the egress policy.
async fn spec_of(ctx: &ApiContext, body: &[u8]) -> Result<SubscriptionSpec, ApiError> {
    let spec = parse_subscription(body, UrlPolicy::Egress(&ctx.egress))
        .map_err(|e| ApiError::parameter(&e.field, e.rule))?;
    sales_shared::alerts::check_channel_hosts(&spec.channels, &ctx.egress)
        .await
        .map_err(|e| ApiError::parameter(&e.field, e.rule))?;
    Ok(spec)
}

fn store<'a>(ctx: &'a ApiContext, tenant: &'a str) -> DigestStore<'a> {
    DigestStore::new(&ctx.dynamo, &ctx.alerts_table, tenant)
}

fn subscription_id(id: &str) -> Result<&str, ApiError> {
    if is_subscription_id(id) { Ok(id) } else { Err(no_subscription()) }
}

fn no_subscription() -> ApiError {
    ApiError::Missing("no such subscription")
}

async fn view<'a>(
    ctx: &'a ApiContext,
    principal: &'a Principal,
    endpoint: &'static str,
) -> Result<TenantView<'a>, ApiError> {
    ctx.view(principal, endpoint, Scope::Reports).await
}

/// A new subscription with its webhooks' signing secret (shown this once).
#[derive(Serialize)]
struct Created<'a> {
    #[serde(flatten)]
    subscription: &'a Subscription,
    secret: &'a str,
}

/// `POST /subscriptions`: 201 with the subscription and its `secret`.
async fn create(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let view = view(&ctx, &principal, "subscriptions").await?;
    Params::parse(query.as_deref(), &[])?;
    let spec = spec_of(&ctx, &body).await?;
    let tenant = &principal.tenant_id;
    let secret = new_secret().map_err(|_| ApiError::Internal)?;
    let id = sales_shared::alerts::new_id(SUBSCRIPTION_ID_PREFIX);
    let sealed = ctx.secrets.seal(&secret, tenant, &id).await?;
    let created = store(&ctx, tenant)
        .create_capped(&id, &spec, &sealed, view.now, MAX_SUBSCRIPTIONS_PER_TENANT)
        .await?;
    let Some(subscription) = created else {
        return Err(ApiError::Refused {
            status: StatusCode::CONFLICT,
            code: "subscription_limit",
            message: format!(
                "a tenant keeps at most {MAX_SUBSCRIPTIONS_PER_TENANT} subscriptions: delete one first"
            ),
        });
    };
    let response = view.respond(Created { subscription: &subscription, secret: &secret }).await?;
    Ok(made(response, StatusCode::CREATED, &format!("/api/v1/sales/subscriptions/{id}")))
}

/// `GET /subscriptions` (`limit`, `cursor`): the tenant's subscriptions by id.
async fn list(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = view(&ctx, &principal, "subscriptions").await?;
    let params = Params::parse(query.as_deref(), &["limit", "cursor"])?;
    let (limit, offset) = (params.limit()?, view.offset(&params)?);
    let all = store(&ctx, &principal.tenant_id).subscriptions().await?;
    view.respond_page(&params, ListPage::of_ranked(all, offset, limit, NoTotals {})).await
}

/// `GET /subscriptions/{id}`.
async fn show(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = view(&ctx, &principal, "subscription").await?;
    Params::parse(query.as_deref(), &[])?;
    let found = store(&ctx, &principal.tenant_id).subscription(subscription_id(&id)?).await?;
    view.respond(found.ok_or_else(no_subscription)?).await
}

/// `PUT /subscriptions/{id}`: its fields replaced (secret and history kept).
async fn replace(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let view = view(&ctx, &principal, "subscription").await?;
    Params::parse(query.as_deref(), &[])?;
    let id = subscription_id(&id)?;
    let spec = spec_of(&ctx, &body).await?;
    let replaced = store(&ctx, &principal.tenant_id).replace(id, &spec, view.now).await?;
    view.respond(replaced.ok_or_else(no_subscription)?).await
}

/// `DELETE /subscriptions/{id}`: 204.
async fn remove(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    view(&ctx, &principal, "subscription").await?;
    Params::parse(query.as_deref(), &[])?;
    match store(&ctx, &principal.tenant_id).delete(subscription_id(&id)?).await? {
        true => Ok(StatusCode::NO_CONTENT.into_response()),
        false => Err(no_subscription()),
    }
}

/// `GET /subscriptions/{id}/deliveries` (`limit`, `cursor`): each period's
/// send, newest first.
async fn deliveries(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = view(&ctx, &principal, "subscription-deliveries").await?;
    let params = Params::parse(query.as_deref(), &["limit", "cursor"])?;
    let limit = params.limit()?;
    let id = subscription_id(&id)?;
    let store = store(&ctx, &principal.tenant_id);
    store.subscription(id).await?.ok_or_else(no_subscription)?;
    let rows = store.sends(id, view.after(&params)?.as_deref(), limit + 1).await?;
    view.respond_page(&params, ListPage::of_keyed(rows, limit, NoTotals {})).await
}

/// The token of an unsubscribe link, read.
fn token_of(ctx: &ApiContext, query: Option<&str>) -> Result<Unsubscribe, ApiError> {
    let params = Params::parse(query, &["token"])?;
    let token = params.get("token").ok_or_else(|| ApiError::parameter("token", "is required"))?;
    ctx.unsubscribe
        .read(token)
        .ok_or_else(|| ApiError::parameter("token", "is not a valid unsubscribe token"))
}

fn page(title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:Helvetica,Arial,sans-serif;max-width:480px;margin:48px auto\">{body}</body></html>"
    );
    ([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

/// `GET /unsubscribe?token=`: a page asking to confirm (a link scanner's
/// GET must not unsubscribe anyone); its button posts to the same URL.
async fn confirm_page(
    State(ctx): State<Arc<ApiContext>>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let who = token_of(&ctx, query.as_deref())?;
    let address = sales_shared::digests::email::escape(&who.address);
    let action = sales_shared::digests::email::escape(&format!(
        "{}?{}",
        sales_shared::digests::unsubscribe::PATH,
        query.unwrap_or_default()
    ));
    Ok(page(
        "Unsubscribe",
        &format!(
            "<h1>Unsubscribe</h1><p>Stop sending this digest to {address}?</p>\
             <form method=\"post\" action=\"{action}\">\
             <input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\
             <button type=\"submit\">Unsubscribe</button></form>"
        ),
    ))
}

/// `POST /unsubscribe?token=`: RFC 8058's one-click unsubscribe (the body
/// `List-Unsubscribe=One-Click` is what mail clients send; it is not
/// required). The address gets no more digests of that subscription.
async fn unsubscribe(
    State(ctx): State<Arc<ApiContext>>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let who = token_of(&ctx, query.as_deref())?;
    let store = store(&ctx, &who.tenant);
    store
        .suppress(&who.address, Suppression::Unsubscribed, Some(&who.subscription), ctx.clock.now())
        .await?;
    tracing::info!(tenant = who.tenant, subscription = who.subscription, "unsubscribed");
    let address = sales_shared::digests::email::escape(&who.address);
    Ok(page(
        "Unsubscribed",
        &format!("<h1>Unsubscribed</h1><p>{address} gets no more of this digest.</p>"),
    ))
}
