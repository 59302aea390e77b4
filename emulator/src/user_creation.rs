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
use crate::directory::{REQUIRED_IN_PUT, answer_of, check_field, record};
use crate::lucca::Shared;
use crate::respond::error;
use crate::shape::canonical;

type Query_ = std::collections::HashMap<String, String>;

/// `POST /api/v3/users`.
pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<Query_>,
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
    let missing: Vec<String> = REQUIRED_IN_PUT
        .iter()
        .filter(|name| !sent.contains_key(**name))
        .map(|name| format!("`{name}`"))
        .collect();
    if !missing.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("required fields are missing: {}", missing.join(", ")),
        );
    }
    if let Some(problem) = sent
        .iter()
        .find_map(|(key, value)| check_field(key, value).err())
    {
        return error(StatusCode::BAD_REQUEST, &problem);
    }
    let text = |name: &str| sent.get(name).and_then(Value::as_str).unwrap_or_default();
    let (login, number) = (text("login"), text("employeeNumber"));
    let entity = sent.get("legalEntityId").and_then(Value::as_i64);
    let knobs = shared.knobs();
    let mut store = shared.lock();
    for person in &store.people {
        if person.get("login").and_then(Value::as_str) == Some(login) {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("the login `{login}` is already used"),
            );
        }
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
    person.insert(
        "name".into(),
        json!(format!("{} {}", text("firstName"), text("lastName"))),
    );
    person.insert(
        "modifiedAt".into(),
        json!(canonical(chrono::Utc::now().naive_utc())),
    );
    if !contract {
        person.insert("userWorkCycles".into(), json!([]));
    }
    store.created.push((id, contract, Value::Object(sent)));
    let at = store.people.len();
    store.people_index.insert(id, at);
    store.people.push(person.clone());
    store.employees.push(employee);
    answer_of(&knobs, json!({ "data": person }))
}
