//! Lucca's organization structure, as its 2026 migration guides document
//! it: `GET /organization/structure/api/departments`, `…/establishments`
//! (what v3 called a legal entity: a user's `legalEntityId` points at one)
//! and `…/legal-units` (the company). Lists answer `{"items": [...]}`;
//! `page` is a 1-based index or a cursor the server gave, `limit` is small
//! (10 unless asked, under 100); `fields.root=prev,next,count` adds the
//! cursors and the total. The v3 routes they replace (`/api/v3/departments`,
//! `/api/v3/legalentities`) stopped answering in September 2026: they answer
//! 404 unless the tenant is played as before then
//! ([`Knobs::v3_organization`](crate::Knobs::v3_organization)).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::lucca::Shared;
use crate::respond::Rejection;

/// The most items a page: the documents say "under 100" for legal units.
const MAX_LIMIT: usize = 99;
/// The page size when none is asked.
const DEFAULT_LIMIT: usize = 10;

/// A department: id, name and code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    /// Its id (a v3 user's `departmentId`).
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its code.
    pub code: String,
}

/// An establishment: a site (a SIRET in France), of a legal unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Establishment {
    /// Its id (a v3 user's `legalEntityId`).
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The legal unit it belongs to.
    pub legal_unit_id: i64,
}

/// The tenant's structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    /// Departments.
    pub departments: Vec<Department>,
    /// Establishments.
    pub establishments: Vec<Establishment>,
    /// Legal units: id and name.
    pub legal_units: Vec<(i64, String)>,
}

impl Default for Organization {
    /// 24 departments (more than two pages of 10), 3 establishments of 2
    /// legal units. Department 1 and establishment 1 are the ones the
    /// local users belong to.
    fn default() -> Self {
        let names = [
            "Direction",
            "Sales",
            "Engineering",
            "Marketing",
            "Finance",
            "Human Resources",
            "Legal",
            "Support",
            "Operations",
            "Logistics",
            "Purchasing",
            "Quality",
            "Research",
            "Design",
            "Data",
            "Security",
            "IT",
            "Communication",
            "Training",
            "Facilities",
            "Customer Success",
            "Partnerships",
            "Product",
            "Ventes",
        ];
        let departments = names
            .iter()
            .zip(1..)
            .map(|(name, id)| Department {
                id,
                name: (*name).to_owned(),
                code: format!("D{id:02}"),
            })
            .collect();
        let establishments = [("Paris", 1), ("Nantes", 1), ("Lyon", 2)]
            .into_iter()
            .zip(1..)
            .map(|((name, legal_unit_id), id)| Establishment {
                id,
                name: name.to_owned(),
                legal_unit_id,
            })
            .collect();
        Self {
            departments,
            establishments,
            legal_units: vec![
                (1, "Roster SAS".to_owned()),
                (2, "Roster Services SARL".to_owned()),
            ],
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    page: Option<String>,
    limit: Option<String>,
    #[serde(rename = "fields.root")]
    fields_root: Option<String>,
}

/// A cursor: the offset of the page it starts, opaque to clients.
fn cursor(offset: usize) -> String {
    format!("c{:x}", offset.wrapping_mul(7919) ^ 0x5eed)
}

fn offset_of(cursor: &str) -> Option<usize> {
    let value = usize::from_str_radix(cursor.strip_prefix('c')?, 16).ok()? ^ 0x5eed;
    (value % 7919 == 0).then_some(value / 7919)
}

impl ListQuery {
    /// The page of `items`, with the cursors and total asked for.
    fn page(&self, items: Vec<Value>) -> Result<Value, Rejection> {
        let bad = |message: String| Rejection::new(StatusCode::BAD_REQUEST, message);
        let limit = match self.limit.as_deref() {
            None => DEFAULT_LIMIT,
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|limit| (1..=MAX_LIMIT).contains(limit))
                .ok_or_else(|| bad(format!("limit is 1 to {MAX_LIMIT}, not {text:?}")))?,
        };
        let offset = match self.page.as_deref() {
            None => 0,
            Some(text) => match text.parse::<usize>() {
                Ok(0) => return Err(bad("page starts at 1".into())),
                Ok(page) => (page - 1).saturating_mul(limit),
                Err(_) => offset_of(text).ok_or_else(|| bad(format!("no such page: {text:?}")))?,
            },
        };
        let total = items.len();
        let page: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
        let mut answer = json!({ "items": page });
        let asked: Vec<&str> = self
            .fields_root
            .as_deref()
            .map(|fields| fields.split(',').map(str::trim).collect())
            .unwrap_or_default();
        for field in asked {
            match field {
                "next" => {
                    answer["next"] =
                        json!((offset + limit < total).then(|| cursor(offset + limit)));
                }
                "prev" => {
                    answer["prev"] =
                        json!((offset > 0).then(|| cursor(offset.saturating_sub(limit))));
                }
                "count" => answer["count"] = json!(total),
                "" => {}
                other => return Err(bad(format!("unknown field in fields.root: {other:?}"))),
            }
        }
        Ok(answer)
    }
}

/// One page of a table of the organization, as `items` shows it.
fn listed(
    shared: &Shared,
    query: &ListQuery,
    items: impl FnOnce(&Organization) -> Vec<Value>,
) -> Response {
    let items = items(&shared.lock().organization);
    match query.page(items) {
        Ok(page) => Json(page).into_response(),
        Err(rejection) => rejection.into_response(),
    }
}

/// `GET /organization/structure/api/departments`.
pub(crate) async fn departments(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<ListQuery>,
) -> Response {
    listed(&shared, &query, |organization| {
        organization
            .departments
            .iter()
            .map(|department| json!({ "id": department.id, "name": department.name, "code": department.code }))
            .collect()
    })
}

/// `GET /organization/structure/api/establishments`.
pub(crate) async fn establishments(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<ListQuery>,
) -> Response {
    listed(&shared, &query, |organization| {
        organization
            .establishments
            .iter()
            .map(|place| json!({ "id": place.id, "name": place.name, "legalUnitId": place.legal_unit_id }))
            .collect()
    })
}

/// `GET /organization/structure/api/legal-units`.
pub(crate) async fn legal_units(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<ListQuery>,
) -> Response {
    listed(&shared, &query, |organization| {
        organization
            .legal_units
            .iter()
            .map(|(id, name)| json!({ "id": id, "name": name }))
            .collect()
    })
}

/// `GET /api/v3/departments`, a route Lucca retired in September 2026:
/// 404, unless the tenant is played as before then, where it answers the
/// departments in the v3 envelope (`id`, `name`, `url`).
pub(crate) async fn v3_departments(State(shared): State<Arc<Shared>>) -> Response {
    v3_listed(&shared, "/api/v3/departments", |organization| {
        organization
            .departments
            .iter()
            .map(|department| {
                json!({
                    "id": department.id,
                    "name": department.name,
                    "url": format!("http://localhost/api/v3/departments/{}", department.id),
                })
            })
            .collect()
    })
}

/// `GET /api/v3/legalentities`, retired with the departments.
pub(crate) async fn v3_legal_entities(State(shared): State<Arc<Shared>>) -> Response {
    v3_listed(&shared, "/api/v3/legalentities", |organization| {
        organization
            .establishments
            .iter()
            .map(|place| json!({ "id": place.id, "name": place.name }))
            .collect()
    })
}

/// A retired v3 route: 404, or (the tenant played as before September
/// 2026) its items in the v3 envelope.
fn v3_listed(
    shared: &Shared,
    route: &str,
    items: impl FnOnce(&Organization) -> Vec<Value>,
) -> Response {
    if !shared.knobs().v3_organization {
        return retired(route);
    }
    let items = items(&shared.lock().organization);
    Json(json!({ "data": { "items": items } })).into_response()
}

fn retired(route: &str) -> Response {
    Rejection::new(
        StatusCode::NOT_FOUND,
        format!("{route} stopped responding in September 2026: use /organization/structure/api"),
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_its_offset_and_nothing_else_does() {
        for offset in [0, 10, 20, 990] {
            assert_eq!(offset_of(&cursor(offset)), Some(offset));
        }
        assert_eq!(offset_of("2"), None);
        assert_eq!(offset_of("cfff"), None);
    }
}
