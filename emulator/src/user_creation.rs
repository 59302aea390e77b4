//! `POST /api/v3/users?contract=true|false`: a user created, as Lucca's
//! work-contract page describes it ("this will create the user and his
//! contract"; `contract=false`, a user without one). No page lists what a
//! creation requires: the server takes the strictest reading, the fourteen
//! fields the update's reference page marks required. A login in use, or an
//! employee number in use in the same legal entity ("unique by legal
//! entity"), is refused.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::data::Employee;
use crate::directory::{answer, check_body, login_taken, record, stamp};
use crate::lucca::Shared;
use crate::respond::error;

/// `POST /api/v3/users`.
pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<crate::directory::Query_>,
    body: axum::body::Bytes,
) -> Response {
    let contract = match query.get("contract").map(String::as_str) {
        Some("true") => true,
        Some("false") => false,
        other => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("`contract` must be true or false, not {other:?}"),
            );
        }
    };
    let Ok(Value::Object(sent)) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "the body must be a JSON object");
    };
    if let Err(problem) = check_body(&sent, true) {
        return error(StatusCode::BAD_REQUEST, &problem);
    }
    let text = |name: &str| sent.get(name).and_then(Value::as_str).unwrap_or_default();
    let (login, number) = (text("login"), text("employeeNumber"));
    let entity = sent.get("legalEntityId").and_then(Value::as_i64);
    let knobs = shared.knobs();
    let mut store = shared.lock();
    if login_taken(&store, login, None) {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("the login `{login}` is already used"),
        );
    }
    for person in &store.people {
        let same_entity = person.get("legalEntityId").and_then(Value::as_i64) == entity;
        if !number.is_empty()
            && same_entity
            && person.get("employeeNumber").and_then(Value::as_str) == Some(number)
        {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("the employee number `{number}` is already used in this legal entity"),
            );
        }
    }
    let id = store
        .people_index
        .keys()
        .max()
        .copied()
        .unwrap_or(0)
        .max(9999)
        + 1;
    let employee = Employee::new(id, login, text("firstName"), text("lastName"));
    let mut person: Map<String, Value> = record(&employee);
    for (key, value) in &sent {
        person.insert(key.clone(), value.clone());
    }
    stamp(&mut person);
    if !contract {
        person.insert("userWorkCycles".into(), json!([]));
    }
    store.created.push((id, contract, Value::Object(sent)));
    let at = store.people.len();
    store.people_index.insert(id, at);
    store.people.push(person.clone());
    store.employees.push(employee);
    answer(&knobs, json!({ "data": person }))
}
