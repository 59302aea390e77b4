//! The Lucca v3 users endpoints of the local server: the `{"data": …}`
//! envelope, `fields` selection, `paging=offset,limit`, filters, updates with
//! validation errors.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDateTime;
use serde_json::{Map, Value, json};

use crate::data::{Employee, Store};
use crate::knobs::{IdCasing, Knobs, PutBodies};
use crate::lucca::Shared;
use crate::respond::{Rejection, error};
use crate::shape::{Api, canonical, object};

/// A query string, by name.
pub(crate) type Query_ = std::collections::HashMap<String, String>;

/// The record the server keeps for an employee.
pub(crate) fn record(employee: &Employee) -> Map<String, Value> {
    let id = employee.id;
    let value = json!({
        "id": id,
        "name": format!("{} {}", employee.first_name, employee.last_name),
        "url": format!("http://localhost/api/v3/users/{id}"),
        "displayName": format!("{} {}", employee.last_name, employee.first_name),
        "login": employee.login,
        "firstName": employee.first_name,
        "lastName": employee.last_name,
        "mail": format!("{}@example.test", employee.login),
        "employeeNumber": format!("{id:06}"),
        "dtContractStart": "2020-01-01T00:00:00",
        "dtContractEnd": Value::Null,
        "birthDate": Value::Null,
        "legalEntityId": 1,
        "departmentId": 1,
        "managerId": Value::Null,
        "manager": Value::Null,
        "calendarId": 1,
        "rolePrincipalId": 55,
        "cultureID": 1036,
        "gender": "Undefined",
        "jobTitle": Value::Null,
        "nationalityId": Value::Null,
        "allowsElectronicPayslip": false,
        "modifiedAt": "2024-01-01T09:00:00.583",
        "userWorkCycles": [{
            "id": id * 10,
            "ownerID": id,
            "workCycleID": 9,
            "startsOn": "2020-01-01T00:00:00",
            "endsOn": "9999-12-31T00:00:00",
        }],
        "habilitedRoles": [],
        "extendedData": {},
        // The local tenant defines one extension field.
        "e_costCenter": Value::Null,
    });
    object(value)
}

/// The fields the reference page marks required in a `PUT` body.
pub(crate) const REQUIRED_IN_PUT: [&str; 14] = [
    "firstName",
    "lastName",
    "login",
    "mail",
    "dtContractStart",
    "legalEntityId",
    "employeeNumber",
    "departmentId",
    "managerId",
    "birthDate",
    "cultureID",
    "calendarId",
    "rolePrincipalId",
    "habilitedRoles",
];

/// The stored (documented) spelling of a key a client sent: a server that
/// writes `cultureId` reads it too.
fn documented_key(key: &str, knobs: &Knobs) -> String {
    match (knobs.id_casing, key) {
        (IdCasing::CamelCase, "cultureId" | "workCycleId" | "ownerId") => {
            format!("{}D", key.trim_end_matches('d'))
        }
        _ => key.to_owned(),
    }
}

/// A record's value for a selected name, in either casing of an id key.
fn field<'a>(record: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    record.get(name).or_else(|| {
        let stem = name.strip_suffix("Id")?;
        record.get(&format!("{stem}ID"))
    })
}

/// A Directory answer, shaped as the knobs say.
pub(crate) fn answer(knobs: &Knobs, value: Value) -> Response {
    Json(knobs.shape(Api::Directory, value)).into_response()
}

/// A user's body as the reference page reads it: every required field
/// when `whole`, then each field's own rule. The refusal's message.
pub(crate) fn check_body(body: &Map<String, Value>, whole: bool) -> Result<(), String> {
    let missing: Vec<String> = REQUIRED_IN_PUT
        .iter()
        .filter(|name| whole && !body.contains_key(**name))
        .map(|name| format!("`{name}`"))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "required fields are missing: {}",
            missing.join(", ")
        ));
    }
    body.iter()
        .find_map(|(key, value)| check_field(key, value).err())
        .map_or(Ok(()), Err)
}

/// Whether a user other than the one at `except` has `login`.
pub(crate) fn login_taken(store: &Store, login: &str, except: Option<usize>) -> bool {
    store.people.iter().enumerate().any(|(other, person)| {
        Some(other) != except && person.get("login").and_then(Value::as_str) == Some(login)
    })
}

/// A record just written: its `name` from its names, its `modifiedAt` now.
pub(crate) fn stamp(person: &mut Map<String, Value>) {
    let name = |key: &str| {
        person
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let full = format!("{} {}", name("firstName"), name("lastName"));
    person.insert("name".into(), json!(full));
    let now = canonical(chrono::Utc::now().naive_utc());
    person.insert("modifiedAt".into(), json!(now));
}

/// A parsed `fields` selection: names, each with its own sub-selection.
#[derive(Debug, Default)]
struct Selection(Vec<(String, Option<Selection>)>);

fn parse_selection(text: &str) -> Result<Selection, String> {
    let mut items = Vec::new();
    let mut depth = 0_i32;
    let mut start = 0;
    let bytes = text.as_bytes();
    for index in 0..=bytes.len() {
        let at_end = index == bytes.len();
        match bytes.get(index) {
            Some(b'[') => depth += 1,
            Some(b']') => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return Err(format!("unbalanced `]` in fields `{text}`"));
        }
        if (at_end || bytes[index] == b',') && depth == 0 {
            let item = text[start..index].trim();
            start = index + 1;
            if item.is_empty() {
                continue;
            }
            match item.split_once('[') {
                Some((name, rest)) => {
                    let inner = rest
                        .strip_suffix(']')
                        .ok_or_else(|| format!("unbalanced `[` in fields `{text}`"))?;
                    items.push((name.to_owned(), Some(parse_selection(inner)?)));
                }
                None => items.push((item.to_owned(), None)),
            }
        }
    }
    if depth != 0 {
        return Err(format!("unbalanced `[` in fields `{text}`"));
    }
    Ok(Selection(items))
}

fn select(record: &Map<String, Value>, selection: &Selection) -> Value {
    let mut out = Map::new();
    for (name, inner) in &selection.0 {
        let Some(value) = field(record, name) else {
            continue;
        };
        let value = match (inner, value) {
            (Some(inner), Value::Object(object)) => select(object, inner),
            (Some(inner), Value::Array(items)) => Value::Array(
                items
                    .iter()
                    .map(|item| {
                        item.as_object()
                            .map_or(Value::Null, |object| select(object, inner))
                    })
                    .collect(),
            ),
            (_, value) => value.clone(),
        };
        out.insert(name.clone(), value);
    }
    Value::Object(out)
}

fn selection_of(query: &Query_) -> Result<Selection, Rejection> {
    parse_selection(query.get("fields").map_or("id,name,url", String::as_str))
        .map_err(|message| Rejection::new(StatusCode::BAD_REQUEST, message))
}

/// The properties of a user the reference page documents (seed `002`).
const DOCUMENTED_PROPERTIES: [&str; 55] = [
    "id",
    "name",
    "url",
    "displayName",
    "modifiedAt",
    "firstName",
    "lastName",
    "login",
    "mail",
    "dtContractStart",
    "dtContractEnd",
    "birthDate",
    "employeeNumber",
    "legalEntityId",
    "legalEntity",
    "departmentId",
    "department",
    "managerId",
    "manager",
    "manager2Id",
    "calendarId",
    "calendar",
    "cultureID",
    "culture",
    "picture",
    "rolePrincipalId",
    "rolePrincipal",
    "habilitedRoles",
    "userWorkCycles",
    "cspId",
    "nationalityId",
    "seniorityDate",
    "insuranceNumber",
    "address",
    "directLine",
    "jobTitle",
    "gender",
    "personalEmail",
    "personalMobile",
    "professionalMobile",
    "allowsElectronicPayslip",
    "quote",
    "personalCard",
    "corporateCard",
    "bankName",
    "rib",
    "iban",
    "bic",
    "frenchCarTaxHorsePower",
    "frenchMotocyclesTaxHorsePower",
    "unitSellPrice",
    "profile_figgo",
    "fullTimeEquivalent",
    "theoreticalRemuneration",
    "extendedData",
];

/// With [`Knobs::unknown_fields_refused`], `400` for a top-level `fields`
/// name that is no documented property, `collection.count`, nor a field
/// the tenant has (its `e_*` and `userAxisValues_*`).
fn check_names(selection: &Selection, store: &Store, knobs: &Knobs) -> Result<(), Rejection> {
    if !knobs.unknown_fields_refused {
        return Ok(());
    }
    let known = |name: &str| {
        let other_casing = name.strip_suffix("Id").map(|stem| format!("{stem}ID"));
        name == "collection.count"
            || DOCUMENTED_PROPERTIES
                .iter()
                .any(|property| *property == name || Some(*property) == other_casing.as_deref())
            || store
                .people
                .first()
                .is_some_and(|person| person.contains_key(name))
    };
    match selection.0.iter().find(|(name, _)| !known(name)) {
        Some((name, _)) => Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            format!("unknown field `{name}` in fields"),
        )),
        None => Ok(()),
    }
}

/// A text filter: `notequal,`, `like,`, or an equality; with
/// [`Knobs::login_lists`] an equality is split on `,` into an `IN`.
fn text_matches(value: Option<&Value>, condition: &str, lists: bool) -> bool {
    let value = value.and_then(Value::as_str).unwrap_or_default();
    if let Some(other) = condition.strip_prefix("notequal,") {
        value != other
    } else if let Some(part) = condition.strip_prefix("like,") {
        value.to_lowercase().contains(&part.to_lowercase())
    } else if lists {
        condition.split(',').any(|wanted| wanted == value)
    } else {
        value == condition
    }
}

/// An id filter: a list (`1,2,3`, an `IN`) or a comparison
/// (`greaterthan,5`, `lessthan,`, `…orequal,`), as the v3 grammar reads
/// every filter.
fn id_matches(id: i64, condition: &str) -> Result<bool, String> {
    let number = |text: &str| {
        text.trim()
            .parse::<i64>()
            .map_err(|_| format!("`{condition}` is not an id filter"))
    };
    let mut parts = condition.splitn(2, ',');
    let matches = match (parts.next(), parts.next()) {
        (Some("greaterthan"), Some(bound)) => id > number(bound)?,
        (Some("greaterthanorequal"), Some(bound)) => id >= number(bound)?,
        (Some("lessthan"), Some(bound)) => id < number(bound)?,
        (Some("lessthanorequal"), Some(bound)) => id <= number(bound)?,
        _ => condition
            .split(',')
            .any(|wanted| wanted.trim() == id.to_string()),
    };
    Ok(matches)
}

fn date_matches(value: Option<&Value>, condition: &str) -> Result<bool, String> {
    let value = value.and_then(Value::as_str);
    match condition {
        "null" => return Ok(value.is_none()),
        "notequal,null" => return Ok(value.is_some()),
        _ => {}
    }
    let Some(value) = value else {
        return Ok(false);
    };
    let day = |text: &str| text.get(..10).unwrap_or(text).to_owned();
    // Bounds compare as date-times to the second; a date is its midnight.
    let moment = |text: &str| {
        let text = text.get(..19).unwrap_or(text);
        if text.len() == 10 {
            format!("{text}T00:00:00")
        } else {
            text.to_owned()
        }
    };
    let full = moment(value);
    let value = day(value);
    let mut parts = condition.split(',');
    let matches = match (parts.next(), parts.next(), parts.next()) {
        (Some("since"), Some(from), None) => value >= day(from),
        (Some("until"), Some(to), None) => value <= day(to),
        (Some("between"), Some(from), Some(to)) => value >= day(from) && value <= day(to),
        (Some("greaterthan"), Some(bound), None) => full > moment(bound),
        (Some("greaterthanorequal"), Some(bound), None) => full >= moment(bound),
        (Some("lessthan"), Some(bound), None) => full < moment(bound),
        (Some("lessthanorequal"), Some(bound), None) => full <= moment(bound),
        _ => return Err(format!("`{condition}` is not a date filter")),
    };
    Ok(matches)
}

/// Today as `YYYY-MM-DD`, once a request.
fn today() -> String {
    chrono::Local::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string()
}

fn is_former(record: &Map<String, Value>, today: &str) -> bool {
    record
        .get("dtContractEnd")
        .and_then(Value::as_str)
        .is_some_and(|end| end.get(..10).unwrap_or(end) < today)
}

fn filter(
    record: &Map<String, Value>,
    query: &Query_,
    today: &str,
    knobs: &Knobs,
) -> Result<bool, Rejection> {
    let reject = |message| Rejection::new(StatusCode::BAD_REQUEST, message);
    // `formerEmployees` is a boolean.
    let former = match query.get("formerEmployees").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(reject(format!(
                "formerEmployees is a boolean, not {other:?}"
            )));
        }
    };
    if !former && is_former(record, today) {
        return Ok(false);
    }
    for (name, condition) in query {
        let keep = match name.as_str() {
            "login" | "mail" => text_matches(record.get(name), condition, knobs.login_lists),
            "id" => {
                let id = record.get("id").and_then(Value::as_i64).unwrap_or_default();
                id_matches(id, condition).map_err(reject)?
            }
            "dtContractStart" | "dtContractEnd" | "modifiedAt" => {
                date_matches(record.get(name), condition).map_err(reject)?
            }
            _ => true,
        };
        if !keep {
            return Ok(false);
        }
    }
    Ok(true)
}

fn paging(query: &Query_) -> Result<(usize, usize), Rejection> {
    let Some(text) = query.get("paging") else {
        return Ok((0, 1000));
    };
    let parsed = text.split_once(',').and_then(|(offset, limit)| {
        Some((offset.trim().parse().ok()?, limit.trim().parse().ok()?))
    });
    match parsed {
        Some((offset, limit)) if (1..=1000).contains(&limit) => Ok((offset, limit)),
        _ => Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            format!("paging `{text}` must be `offset,limit` with a limit of 1 to 1000"),
        )),
    }
}

/// `GET /api/v3/users`.
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<Query_>,
) -> Response {
    let knobs = shared.knobs();
    let listed = (|| {
        let selection = selection_of(&query)?;
        let (offset, limit) = paging(&query)?;
        if knobs.timeout_rows.is_some_and(|rows| limit > rows) {
            return Err(Rejection::new(
                StatusCode::REQUEST_TIMEOUT,
                "the request took over 5 s and was aborted".to_owned(),
            ));
        }
        let offset = if knobs.ignore_offset { 0 } else { offset };
        let limit = knobs.page_cap.map_or(limit, |cap| limit.min(cap));
        let store = shared.lock();
        check_names(&selection, &store, &knobs)?;
        let today = today();
        let counted = selection
            .0
            .iter()
            .any(|(name, _)| name == "collection.count");
        let count_alone = counted && selection.0.len() == 1 && knobs.count_alone;
        let order = query.get("orderBy").map(|order| {
            let (name, direction) = order.split_once(',').unwrap_or((order.as_str(), "asc"));
            (name.to_owned(), direction.eq_ignore_ascii_case("desc"))
        });
        // By id (what clients page by): walk the id index and stop at the
        // page's end, instead of sorting every user for every page.
        if let Some(descending) = order
            .as_ref()
            .filter(|(name, _)| name == "id")
            .map(|(_, descending)| *descending)
            && !counted
            // One person an id (the index would drop a duplicate).
            && store.people_index.len() == store.people.len()
        {
            let by_id: Box<dyn Iterator<Item = &usize>> = if descending {
                Box::new(store.people_index.values().rev())
            } else {
                Box::new(store.people_index.values())
            };
            let mut items = Vec::with_capacity(limit);
            let mut skipped = 0;
            for index in by_id {
                let person = &store.people[*index];
                if !filter(person, &query, &today, &knobs)? {
                    continue;
                }
                if skipped < offset {
                    skipped += 1;
                    continue;
                }
                items.push(select(person, &selection));
                if items.len() == limit {
                    break;
                }
            }
            return Ok::<_, Rejection>(json!({ "data": { "items": items } }));
        }
        let mut matching = Vec::new();
        for person in &store.people {
            if filter(person, &query, &today, &knobs)? {
                matching.push(person);
            }
        }
        if let Some(order) = query.get("orderBy") {
            let (name, direction) = order.split_once(',').unwrap_or((order.as_str(), "asc"));
            let key = |person: &&Map<String, Value>| {
                person.get(name).map(|value| match value {
                    Value::Number(number) => format!("{:020}", number.as_i64().unwrap_or_default()),
                    other => other.to_string(),
                })
            };
            matching.sort_by_cached_key(key);
            if direction.eq_ignore_ascii_case("desc") {
                matching.reverse();
            }
        }
        let items: Vec<Value> = matching
            .iter()
            .skip(offset)
            .take(limit)
            .map(|person| select(person, &selection))
            .collect();
        let mut data = if count_alone {
            json!({})
        } else {
            json!({ "items": items })
        };
        if counted {
            data["count"] = json!(matching.len());
        }
        Ok::<_, Rejection>(json!({ "data": data }))
    })();
    match listed {
        Ok(body) => answer(&knobs, body),
        Err(rejection) => rejection.into_response(),
    }
}

/// The position of user `id` in the store.
fn find(store: &Store, id: &str) -> Option<usize> {
    let id: i64 = id.parse().ok()?;
    store.people_index.get(&id).copied()
}

/// `GET /api/v3/users/{id}`.
pub(crate) async fn get(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(query): Query<Query_>,
) -> Response {
    let selection = match selection_of(&query) {
        Ok(selection) => selection,
        Err(rejection) => return rejection.into_response(),
    };
    let knobs = shared.knobs();
    let store = shared.lock();
    match find(&store, &id) {
        Some(index) => answer(
            &knobs,
            json!({ "data": select(&store.people[index], &selection) }),
        ),
        None => error(StatusCode::NOT_FOUND, &format!("no user {id}")),
    }
}

/// Checks one field of an update the way the reference page constrains it.
pub(crate) fn check_field(key: &str, value: &Value) -> Result<(), String> {
    let non_empty = |value: &Value| value.as_str().is_some_and(|text| !text.trim().is_empty());
    // A `format: date-time`: the zone-less form Lucca writes, or RFC 3339
    // with its zone (what the format itself names).
    let zone_less = |value: &Value| {
        value.as_str().is_some_and(|text| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
                || chrono::DateTime::parse_from_rfc3339(text).is_ok()
        })
    };
    let id = |value: &Value| value.as_i64().is_some_and(|id| id >= 1);
    let ok = match key {
        "firstName" | "lastName" | "login" | "mail" => non_empty(value),
        "employeeNumber" | "jobTitle" => value.is_null() || non_empty(value),
        "dtContractStart" => zone_less(value),
        "dtContractEnd" | "birthDate" | "seniorityDate" => value.is_null() || zone_less(value),
        "legalEntityId" | "departmentId" | "rolePrincipalId" => id(value),
        "managerId" | "manager2Id" | "calendarId" | "cspId" => value.is_null() || id(value),
        "cultureID" => value
            .as_i64()
            .is_some_and(|id| (1025..=58380).contains(&id)),
        "nationalityId" => {
            value.is_null()
                || value.as_str().is_some_and(|code| {
                    code.len() == 2 && code.chars().all(|c| c.is_ascii_alphabetic())
                })
        }
        "gender" => matches!(
            value.as_str(),
            Some("Undefined" | "Male" | "Female" | "Misc")
        ),
        "allowsElectronicPayslip" => value.is_null() || value.is_boolean(),
        // An array of `IdOnly`: objects with an id from 1.
        "habilitedRoles" => value
            .as_array()
            .is_some_and(|roles| roles.iter().all(|role| role.get("id").is_some_and(&id))),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("`{key}` has an invalid value: {value}"))
    }
}

/// `PUT /api/v3/users/{id}`: applies the fields sent, `null` clearing.
pub(crate) async fn update(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(query): Query<Query_>,
    body: axum::body::Bytes,
) -> Response {
    let knobs = shared.knobs();
    let Ok(Value::Object(sent)) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "the body must be a JSON object");
    };
    let changes: Map<String, Value> = sent
        .iter()
        .map(|(key, value)| (documented_key(key, &knobs), value.clone()))
        .collect();
    if let Err(problem) = check_body(&changes, knobs.put_bodies == PutBodies::Whole) {
        return error(StatusCode::BAD_REQUEST, &problem);
    }
    let selection = match selection_of(&query) {
        Ok(selection) => selection,
        Err(rejection) => return rejection.into_response(),
    };
    let mut store = shared.lock();
    let Some(index) = find(&store, &id) else {
        return error(StatusCode::NOT_FOUND, &format!("no user {id}"));
    };
    if let Some(login) = changes.get("login").and_then(Value::as_str)
        && login_taken(&store, login, Some(index))
    {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("the login `{login}` is already used"),
        );
    }
    let user_id = store.people[index]
        .get("id")
        .and_then(Value::as_i64)
        .unwrap_or_default();
    store.updates.push((user_id, Value::Object(sent)));
    let person = &mut store.people[index];
    for (key, value) in changes {
        person.insert(key, value);
    }
    stamp(person);
    answer(&knobs, json!({ "data": select(person, &selection) }))
}
