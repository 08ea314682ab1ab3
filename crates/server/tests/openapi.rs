//! The OpenAPI document served at `GET /api/openapi.json`: well-formed
//! OpenAPI 3.1 whose every reference resolves; every operation it lists is
//! served, and no other method on its paths; its `/api/` operations are
//! exactly the rows of the endpoint tables in the module docs of `http.rs`
//! and `admin.rs`, with the same roles; and the server's answers and
//! WebSocket records, through a contact's whole life and every kind of
//! administration change, have exactly the fields and types it documents.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use hyper::{Method, StatusCode};
use serde_json::Value;
use server::{NewUser, Role, Wallboard, WallboardSettings};

use common::*;

const DOCUMENT: &str = include_str!("../src/openapi.json");
const HTTP_RS: &str = include_str!("../src/http.rs");
const ADMIN_RS: &str = include_str!("../src/admin.rs");

/// The methods an OpenAPI path item may hold.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Who `x-roles` may name: the four roles, `anyone` (no token) and
/// `display` (the wallboard's display token).
const ROLES: [&str; 6] = [
    "admin",
    "supervisor",
    "agent",
    "analyst",
    "anyone",
    "display",
];

const DISPLAY: &str = "display-token-0123456789";

fn document() -> Value {
    serde_json::from_str(DOCUMENT).expect("openapi.json is JSON")
}

/// One operation of the document.
struct Operation<'a> {
    method: String,
    path: String,
    item: &'a Value,
    op: &'a Value,
}

fn operations(doc: &Value) -> Vec<Operation<'_>> {
    let paths = doc["paths"].as_object().expect("paths is an object");
    let mut all = Vec::new();
    for (path, item) in paths {
        for (key, op) in item.as_object().expect("a path item is an object") {
            if METHODS.contains(&key.as_str()) {
                all.push(Operation {
                    method: key.to_uppercase(),
                    path: path.clone(),
                    item,
                    op,
                });
            }
        }
    }
    all
}

/// `value`, or what its `$ref` points to.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => doc
            .pointer(reference.strip_prefix('#').unwrap_or(reference))
            .unwrap_or_else(|| panic!("{reference} does not resolve")),
        None => value,
    }
}

/// The path and operation parameters of `op`, resolved.
fn parameters<'a>(doc: &'a Value, op: &Operation<'a>) -> Vec<&'a Value> {
    [op.item, op.op]
        .into_iter()
        .filter_map(|v| v.get("parameters").and_then(Value::as_array))
        .flatten()
        .map(|p| resolve(doc, p))
        .collect()
}

/// The `{name}`s of a path template.
fn template_names(path: &str) -> BTreeSet<String> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(str::to_owned)
        .collect()
}

fn roles_of(op: &Operation<'_>) -> BTreeSet<String> {
    op.op["x-roles"]
        .as_array()
        .unwrap_or_else(|| panic!("{} {} has no x-roles", op.method, op.path))
        .iter()
        .map(|r| r.as_str().expect("a role is a string").to_owned())
        .collect()
}

/// Every `$ref` anywhere in `value`.
fn references<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(reference)) => found.push(reference),
                    _ => references(v, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, found)),
        _ => {}
    }
}

#[test]
fn the_document_is_openapi_3_1_and_every_reference_resolves() {
    let doc = document();
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1.")),
        "openapi: {}",
        doc["openapi"]
    );
    for field in ["title", "version"] {
        assert!(
            doc["info"][field].as_str().is_some_and(|v| !v.is_empty()),
            "info.{field}"
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearerAuth"]["scheme"],
        "bearer"
    );

    let mut found = Vec::new();
    references(&doc, &mut found);
    assert!(found.len() > 100, "the schemas are shared by $ref");
    for reference in found {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{reference} is not inside the document"));
        assert!(
            doc.pointer(pointer).is_some(),
            "{reference} does not resolve"
        );
    }

    let ops = operations(&doc);
    assert!(!ops.is_empty(), "paths is empty");
    let mut ids = BTreeSet::new();
    for op in &ops {
        let name = format!("{} {}", op.method, op.path);
        assert!(op.path.starts_with('/'), "{name}");
        assert!(
            op.op["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{name} has no summary"
        );
        let id = op.op["operationId"].as_str().expect("an operationId");
        assert!(ids.insert(id.to_owned()), "operationId {id} twice");

        let roles = roles_of(op);
        assert!(!roles.is_empty(), "{name}: x-roles is empty");
        for role in &roles {
            assert!(ROLES.contains(&role.as_str()), "{name}: role {role}");
        }
        // No token exactly where anyone may call.
        let open = op.op.get("security") == Some(&Value::Array(Vec::new()));
        assert_eq!(open, roles.contains("anyone"), "{name}: security");

        let responses = op.op["responses"].as_object().expect("responses");
        assert!(
            responses.keys().any(|s| s.starts_with('2') || s == "101"),
            "{name} has no success response"
        );
        for (status, response) in responses {
            let response = resolve(&doc, response);
            assert!(response["description"].is_string(), "{name} {status}");
            if status.starts_with('4') || status.starts_with('5') {
                let schema = &response["content"]["application/json"]["schema"];
                let text = &response["content"]["text/plain"]["schema"];
                assert!(
                    schema["$ref"] == "#/components/schemas/Error" || text.is_object(),
                    "{name} {status}: errors are the Error object"
                );
            }
        }

        let params = parameters(&doc, op);
        let declared: BTreeSet<String> = params
            .iter()
            .filter(|p| p["in"] == "path")
            .map(|p| {
                assert_eq!(p["required"], true, "{name}: path parameters are required");
                p["name"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(
            declared,
            template_names(&op.path),
            "{name}: path parameters"
        );
    }

    // The error codes are ApiError's, as its doc comment lists them.
    let codes: BTreeSet<&str> =
        doc["components"]["schemas"]["Error"]["properties"]["error"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
    assert_eq!(codes, api_error_codes());
}

/// The codes the doc comment of `ApiError` lists.
fn api_error_codes() -> BTreeSet<&'static str> {
    let end = HTTP_RS.find("pub struct ApiError").expect("ApiError");
    let comment: Vec<&str> = HTTP_RS[..end]
        .lines()
        .rev()
        .skip_while(|line| !line.starts_with("///"))
        .take_while(|line| line.starts_with("///"))
        .collect();
    let mut codes = BTreeSet::new();
    for line in comment {
        for (i, quoted) in line.split('`').enumerate() {
            if i % 2 == 1 && quoted.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                codes.insert(quoted);
            }
        }
    }
    assert!(codes.len() > 5, "ApiError's doc lists its codes: {codes:?}");
    codes
}

/// Serves the API and the wallboard's routes over the harness's core, as
/// `switchboard serve` does, and points the harness's client at them. The
/// new server has its own tokens: `h.admin` becomes one of a second
/// administrator, root.
async fn serve_everything(h: &mut Harness) {
    let auth = Arc::new(cheap_auth(h.clock.clone(), h.core.clone()));
    let root = NewUser {
        name: "root".into(),
        password: PASSWORD.into(),
        role: Role::Admin,
        agent: None,
    };
    auth.create_user("admin", root).await.unwrap();
    let zone = jiff::tz::TimeZone::UTC;
    let settings = WallboardSettings::new(&config(), zone, DISPLAY.to_owned());
    let board = Wallboard::start(h.core.clone(), auth.clone(), settings).unwrap();
    let app = server::router(h.core.clone(), auth).merge(board.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    h.addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    h.admin = h.login("root", PASSWORD).await;
}

/// `path` with each parameter replaced by a value of its type.
fn concrete(doc: &Value, op: &Operation<'_>) -> String {
    let mut path = op.path.clone();
    for p in parameters(doc, op)
        .into_iter()
        .filter(|p| p["in"] == "path")
    {
        let schema = resolve(doc, &p["schema"]);
        let value = match (&schema["type"], &schema["examples"][0]) {
            (t, _) if t == "integer" => "1".to_owned(),
            (_, Value::String(example)) => example.clone(),
            _ => "x".to_owned(),
        };
        path = path.replace(&format!("{{{}}}", p["name"].as_str().unwrap()), &value);
    }
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_of_the_document_is_served_and_no_other_method() {
    let mut h = Harness::start().await;
    serve_everything(&mut h).await;
    let doc = document();

    // The document itself, without a token.
    let (status, served) = h.raw(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(served, doc);

    let ops = operations(&doc);
    let mut by_path: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for op in &ops {
        // Without a token (and without a body or WebSocket handshake): any
        // answer but "no such path" or "no such method" shows it is
        // served, and the answer must be one the document lists.
        let path = concrete(&doc, op);
        let method = Method::from_bytes(op.method.as_bytes()).unwrap();
        let (status, body) = h.send(method, &path, None, "application/json", None).await;
        let name = format!("{} {path}", op.method);
        assert!(
            status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
            "{name} is not served: {status} {}",
            String::from_utf8_lossy(&body)
        );
        assert!(
            op.op["responses"].get(status.as_str()).is_some(),
            "{name} answered {status}, which the document does not list"
        );
        by_path.entry(path).or_default().insert(&op.method);
    }

    // Methods the document leaves out of a path are refused as such (HEAD
    // is GET's).
    for (path, documented) in &by_path {
        for method in ["GET", "PUT", "POST", "DELETE", "PATCH"] {
            if documented.contains(method) {
                continue;
            }
            let (status, _) = h
                .send(
                    Method::from_bytes(method.as_bytes()).unwrap(),
                    path,
                    None,
                    "application/json",
                    None,
                )
                .await;
            assert_eq!(
                status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} is served but not documented"
            );
        }
    }
}

/// The rows of the endpoint table in the module doc of `source`: each
/// method and path with the roles of the row.
fn table(source: &str) -> Vec<(String, String, BTreeSet<String>)> {
    let mut rows = Vec::new();
    let mut previous = BTreeSet::new();
    for line in source.lines().take_while(|line| line.starts_with("//!")) {
        let Some(row) = line.strip_prefix("//! |") else {
            continue;
        };
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let [methods, paths, roles, ..] = cells[..] else {
            panic!("a table row of four cells: {line}");
        };
        if methods == "method" || methods.starts_with("---") {
            continue;
        }
        // `/api/agents/{agent}/login`, `/logout`: the others replace the
        // first one's last segment.
        let mut full = Vec::new();
        for (i, path) in paths.split('`').skip(1).step_by(2).enumerate() {
            if i == 0 || path.starts_with("/api/") {
                full.push(path.to_owned());
            } else {
                let first: &String = &full[0];
                let (parent, _) = first.rsplit_once('/').unwrap();
                full.push(format!("{parent}{path}"));
            }
        }
        assert!(
            full.first().is_some_and(|p| p.starts_with("/api/")),
            "{line}"
        );
        let mut who = BTreeSet::new();
        for word in roles.split(|c: char| !c.is_alphanumeric()) {
            match word {
                "anyone" | "admin" | "supervisor" | "analyst" | "agent" => {
                    who.insert(word.to_owned());
                }
                "staff" => {
                    who.insert("admin".to_owned());
                    who.insert("supervisor".to_owned());
                }
                "same" => who.extend(previous.iter().cloned()),
                _ => {}
            }
        }
        assert!(!who.is_empty(), "no roles in {line}");
        for method in methods.split('/') {
            let method = method.split_whitespace().next().unwrap_or_default();
            assert!(
                ["GET", "PUT", "POST", "DELETE"].contains(&method),
                "method {method:?} in {line}"
            );
            for path in &full {
                rows.push((method.to_owned(), path.clone(), who.clone()));
            }
        }
        previous = who;
    }
    rows
}

#[test]
fn the_endpoint_tables_list_the_documents_api_operations() {
    let doc = document();
    let documented: BTreeMap<(String, String), BTreeSet<String>> = operations(&doc)
        .iter()
        .filter(|op| op.path.starts_with("/api/"))
        .map(|op| ((op.method.clone(), op.path.clone()), roles_of(op)))
        .collect();

    let mut tabled = BTreeMap::new();
    for (method, path, roles) in table(HTTP_RS).into_iter().chain(table(ADMIN_RS)) {
        let key = (method, path);
        assert!(
            tabled.insert(key.clone(), roles).is_none(),
            "{key:?} is in the tables twice"
        );
    }
    assert!(tabled.len() > 40, "the tables were read: {}", tabled.len());

    let only_tabled: Vec<_> = tabled
        .keys()
        .filter(|k| !documented.contains_key(*k))
        .collect();
    let only_documented: Vec<_> = documented
        .keys()
        .filter(|k| !tabled.contains_key(*k))
        .collect();
    assert!(
        only_tabled.is_empty() && only_documented.is_empty(),
        "in the tables only: {only_tabled:?}; in the document only: {only_documented:?}"
    );
    for (key, roles) in &tabled {
        assert_eq!(roles, &documented[key], "roles of {key:?}");
    }
}

/// Whether `value` conforms to `schema`, as far as the document uses JSON
/// Schema: `$ref`, `allOf` of objects, `oneOf` (exactly one), `const`,
/// `enum`, `type`, `minimum`/`maximum`, object `properties`, `required`,
/// `additionalProperties`, `minProperties`/`maxProperties`, array `items`,
/// `prefixItems`, `minItems`/`maxItems` (not `pattern`). Stricter than JSON
/// Schema in one way: an object schema that lists `properties` and says
/// nothing of `additionalProperties` admits no other key, so every field
/// the server sends must be documented.
fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(doc, schema);
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        let mut properties = serde_json::Map::new();
        let mut required = Vec::new();
        for part in parts {
            let part = resolve(doc, part);
            if let Some(p) = part.get("properties").and_then(Value::as_object) {
                properties.extend(p.clone());
            }
            if let Some(r) = part.get("required").and_then(Value::as_array) {
                required.extend(r.iter().cloned());
            }
        }
        let merged = serde_json::json!({
            "type": "object", "properties": properties, "required": required
        });
        return conforms(doc, &merged, value, at);
    }
    if let Some(choices) = schema.get("oneOf").and_then(Value::as_array) {
        let errors: Vec<String> = choices
            .iter()
            .filter_map(|s| conforms(doc, s, value, at).err())
            .collect();
        return match choices.len() - errors.len() {
            1 => Ok(()),
            n => Err(format!("{at}: {value} matches {n} of oneOf: {errors:?}")),
        };
    }
    if let Some(constant) = schema.get("const")
        && constant != value
    {
        return Err(format!("{at}: {value} is not {constant}"));
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array)
        && !values.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {values:?}"));
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(t) => vec![t],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let is = |t: &str| match t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_u64() || value.is_i64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            _ => false,
        };
        if !types.iter().any(|t| is(t)) {
            return Err(format!("{at}: {value} is not of type {types:?}"));
        }
    }
    if let Some(n) = value.as_f64() {
        if schema
            .get("minimum")
            .and_then(Value::as_f64)
            .is_some_and(|m| n < m)
        {
            return Err(format!("{at}: {n} is below the minimum"));
        }
        if schema
            .get("maximum")
            .and_then(Value::as_f64)
            .is_some_and(|m| n > m)
        {
            return Err(format!("{at}: {n} is above the maximum"));
        }
    }
    let count = |key: &str| schema.get(key).and_then(Value::as_u64);
    match value {
        Value::Object(map) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            for name in schema["required"].as_array().into_iter().flatten() {
                let name = name.as_str().unwrap_or_default();
                if !map.contains_key(name) {
                    return Err(format!("{at}: required {name} is missing from {value}"));
                }
            }
            for (key, v) in map {
                let here = format!("{at}.{key}");
                match (
                    properties.and_then(|p| p.get(key)),
                    schema.get("additionalProperties"),
                ) {
                    (Some(s), _) => conforms(doc, s, v, &here)?,
                    (None, Some(Value::Bool(true))) => {}
                    (None, Some(Value::Bool(false))) => {
                        return Err(format!("{here} is not allowed"));
                    }
                    (None, Some(s)) => conforms(doc, s, v, &here)?,
                    (None, None) if properties.is_some() => {
                        return Err(format!("{here} is not documented"));
                    }
                    (None, None) => {}
                }
            }
            let n = map.len() as u64;
            if count("minProperties").is_some_and(|m| n < m)
                || count("maxProperties").is_some_and(|m| n > m)
            {
                return Err(format!("{at}: {n} properties in {value}"));
            }
        }
        Value::Array(items) => {
            let first = schema.get("prefixItems").and_then(Value::as_array);
            for (i, item) in items.iter().enumerate() {
                let here = format!("{at}[{i}]");
                match (first.and_then(|f| f.get(i)), schema.get("items")) {
                    (Some(s), _) | (None, Some(s)) => conforms(doc, s, item, &here)?,
                    (None, None) => {}
                }
            }
            let n = items.len() as u64;
            if count("minItems").is_some_and(|m| n < m) || count("maxItems").is_some_and(|m| n > m)
            {
                return Err(format!("{at}: {n} items in {value}"));
            }
        }
        _ => {}
    }
    Ok(())
}

/// The operation of the document that serves `method` on the concrete
/// `path` (its query string ignored).
fn operation_for<'a>(doc: &'a Value, method: &Method, path: &str) -> Operation<'a> {
    let path = path.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').collect();
    operations(doc)
        .into_iter()
        .find(|op| {
            let template: Vec<&str> = op.path.split('/').collect();
            op.method == method.as_str()
                && template.len() == segments.len()
                && template
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| t == s || t.starts_with('{'))
        })
        .unwrap_or_else(|| panic!("{method} {path} is not in the document"))
}

/// Checks an answer against the schema the document gives for it.
fn check(doc: &Value, method: &Method, path: &str, status: StatusCode, answer: &Value) {
    let op = operation_for(doc, method, path);
    let response = op.op["responses"]
        .get(status.as_str())
        .unwrap_or_else(|| panic!("{method} {path}: {status} is not documented ({answer})"));
    let schema = &resolve(doc, response)["content"]["application/json"]["schema"];
    assert!(
        schema.is_object(),
        "{method} {path} {status}: no JSON schema"
    );
    if let Err(e) = conforms(doc, schema, answer, "answer") {
        panic!("{method} {path} {status}: {e}");
    }
}

/// Sends a request, checks the answer against the document and that its
/// status is `expected`, and returns it.
async fn call(
    h: &Harness,
    doc: &Value,
    (method, path): (Method, &str),
    token: Option<&str>,
    body: Option<Value>,
    expected: StatusCode,
) -> Value {
    let body = body.map(|b| b.to_string());
    let (status, answer) = h.raw(method.clone(), path, token, body).await;
    check(doc, &method, path, status, &answer);
    assert_eq!(status, expected, "{method} {path}: {answer}");
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_answers_and_records_match_the_documents_schemas() {
    use serde_json::json;
    const OK: StatusCode = StatusCode::OK;
    let mut h = Harness::start().await;
    serve_everything(&mut h).await;
    let doc = document();
    let root = h.admin.clone();
    let mut records = h.socket("/api/stream", &root).await;
    let admin = Some(root.as_str());
    let lan = h.login("lan", PASSWORD).await;
    let lan = Some(lan.as_str());

    let issued = json!({"user": "boss", "password": PASSWORD});
    call(
        &h,
        &doc,
        (Method::POST, "/api/login"),
        None,
        Some(issued),
        OK,
    )
    .await;

    // Administration: every kind of change, so the audit log shows them.
    let changes = [
        (Method::PUT, "/api/tiers/gold", Some(json!({"priority": 5}))),
        (
            Method::PUT,
            "/api/customers/c-1",
            Some(json!({"name": "Nguyễn An", "phones": ["+84901234567"], "tier": "gold"})),
        ),
        (
            Method::PUT,
            "/api/lines/4001",
            Some(json!({"name": "Spring campaign"})),
        ),
        (
            Method::PUT,
            "/api/queues/1/hours",
            Some(json!([{"day": "monday", "open": "08:00", "close": "18:00"}])),
        ),
        (Method::PUT, "/api/skills/2", Some(json!({"name": "vip"}))),
        (Method::PUT, "/api/reason-codes/coffee", None),
        (
            Method::PUT,
            "/api/outcome-codes/refund",
            Some(json!({"success": false})),
        ),
        (
            Method::PUT,
            "/api/queues/2",
            Some(json!({
                "name": "VIP",
                "requirements": [{"skill": 2, "min_level": 3}],
                "relaxation": [{"after": 30000, "min_level": 1, "add_queues": [1]}],
                "aging": {"every": 10000, "boost": 1, "max_boost": 5},
                "selection": "most_skilled",
                "service_level_threshold": 20000,
                "service_level_target": 80,
                "wrap_up": 30000,
                "offer_timeout": 15000,
                "max_wait": 600000,
                "overflow": {"queue": 1},
                "announce_every": 60000,
                "expected_handle_time": 180000,
            })),
        ),
        (
            Method::PUT,
            "/api/agents/9",
            Some(json!({
                "name": "Linh",
                "skills": [[1, 5], [2, 7]],
                "profile": [{"queue": 2, "priority": 1}, {"queue": 1, "priority": 2}],
                "concurrency": 1,
            })),
        ),
        (
            Method::PUT,
            "/api/agents/8/skills",
            Some(json!({"skills": [[1, 3]]})),
        ),
        (Method::DELETE, "/api/reason-codes/coffee", None),
    ];
    for (method, path, body) in changes {
        call(&h, &doc, (method, path), admin, body, OK).await;
    }
    let user = json!({"name": "kim", "password": PASSWORD, "role": "analyst"});
    let created = StatusCode::CREATED;
    call(
        &h,
        &doc,
        (Method::POST, "/api/users"),
        admin,
        Some(user),
        created,
    )
    .await;
    let change = json!({"role": "supervisor"});
    call(
        &h,
        &doc,
        (Method::PUT, "/api/users/kim"),
        admin,
        Some(change),
        OK,
    )
    .await;
    call(&h, &doc, (Method::GET, "/api/users"), admin, None, OK).await;

    // A contact waits, then lives through an agent's whole work on it.
    let arrival = json!({
        "queue": 1, "dnis": "4001", "ani": "+84901234567", "priority": 1,
        "attributes": {"lang": "vi"},
    });
    let post = (Method::POST, "/api/contacts");
    let answer = call(&h, &doc, post, admin, Some(arrival), created).await;
    let contact = answer["contact"].as_u64().unwrap();
    let explain = format!("/api/contacts/{contact}/explain");
    call(&h, &doc, (Method::GET, &explain), admin, None, OK).await;
    let pop = format!("/api/contacts/{contact}");
    let live = call(&h, &doc, (Method::GET, &pop), admin, None, OK).await;
    assert!(
        live["live"].is_object() && live["customer"].is_object(),
        "{live}"
    );
    call(&h, &doc, (Method::GET, "/api/queues"), admin, None, OK).await;
    let on = Some(json!({"contact": contact}));
    let lunch = Some(json!({"reason": "lunch"}));
    let steps = [
        ("login", None),
        ("not-ready", lunch),
        ("ready", None),
        ("accept", on.clone()),
        ("hold", on.clone()),
        ("resume", on.clone()),
        ("end", on.clone()),
    ];
    for (action, body) in steps {
        let path = format!("/api/agents/7/{action}");
        call(&h, &doc, (Method::POST, &path), lan, body, OK).await;
    }
    call(&h, &doc, (Method::GET, "/api/agents"), admin, None, OK).await;
    call(&h, &doc, (Method::GET, "/api/agents/7"), lan, None, OK).await;
    let wrap = json!({"contact": contact, "outcome": "sale", "reason": "billing", "notes": "ok"});
    let path = (Method::POST, "/api/agents/7/wrap-up");
    call(&h, &doc, path, lan, Some(wrap), OK).await;

    // The records on the socket, in the order they were made.
    let stream = (Method::GET, "/api/stream");
    let kinds = [
        "config_changed",
        "contact_arrived",
        "agent_state_changed",
        "offered",
        "connected",
        "held",
        "resumed",
        "call_ended",
        "wrap_up_ended",
        "contact_finished",
    ];
    let message = json!({"$ref": "#/components/schemas/StreamMessage"});
    for kind in kinds {
        let record = records.next_of(kind).await;
        if let Err(e) = conforms(&doc, &message, &record, kind) {
            panic!("{} {}: {e}", stream.0, stream.1);
        }
    }

    // Views of what happened.
    let finished = call(&h, &doc, (Method::GET, &pop), lan, None, OK).await;
    assert!(finished["finished"].is_object(), "{finished}");
    let customer = (Method::GET, "/api/customers/c-1");
    let answer = call(&h, &doc, customer, admin, None, OK).await;
    assert_eq!(
        answer["recent"].as_array().map(Vec::len),
        Some(1),
        "{answer}"
    );
    let answer = call(&h, &doc, (Method::GET, "/api/config"), admin, None, OK).await;
    assert!(answer["hours"]["1"].is_array(), "{answer}");
    let audit = (Method::GET, "/api/audit?limit=1000");
    let entries = call(&h, &doc, audit, admin, None, OK).await;
    assert!(entries.as_array().unwrap().len() > 10, "{entries}");
    let board = format!("/wallboard/data?token={DISPLAY}");
    call(&h, &doc, (Method::GET, &board), None, None, OK).await;

    // Refusals are the Error object, each with a status the document lists.
    let none = StatusCode::NOT_FOUND;
    call(&h, &doc, (Method::GET, "/api/agents/99"), admin, None, none).await;
    let held = Some(json!({"contact": 999}));
    let conflict = StatusCode::CONFLICT;
    call(
        &h,
        &doc,
        (Method::POST, "/api/agents/7/hold"),
        lan,
        held,
        conflict,
    )
    .await;
    let forbidden = StatusCode::FORBIDDEN;
    call(
        &h,
        &doc,
        (Method::GET, "/api/agents/8"),
        lan,
        None,
        forbidden,
    )
    .await;

    // A bad query string is refused like a bad body.
    let (status, body) = h
        .send(Method::GET, "/api/audit?limit=x", admin, "text/plain", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"], "bad_request", "{body}");

    // Retirements.
    let retire = [
        "/api/customers/c-1",
        "/api/users/kim",
        "/api/queues/1/hours",
        "/api/agents/9",
        "/api/outcome-codes/refund",
    ];
    for path in retire {
        call(&h, &doc, (Method::DELETE, path), admin, None, OK).await;
    }
}
