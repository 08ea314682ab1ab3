//! The administration API over real sockets: live configuration changes
//! reach the engine, survive a restart and are audited with who made them;
//! retirements, opening hours, customers with value tiers and the agent's
//! screen pop.

mod common;

use acd::model::{ContactId, Span};
use hyper::StatusCode;
use serde_json::{Value, json};

use common::*;

/// 2026-01-05 is a Monday; the harness's store is in UTC.
const MONDAY_8_TO_12: &str = r#"[{"day": "monday", "open": "08:00", "close": "12:00"}]"#;

async fn contact(h: &Harness, body: Value) -> (StatusCode, Value) {
    h.post("/api/contacts", &h.admin, body).await
}

async fn ready(h: &Harness, agent: u32, token: &str) {
    for action in ["login", "ready"] {
        let (status, answer) = h
            .post(&format!("/api/agents/{agent}/{action}"), token, json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{action}: {answer}");
    }
}

fn new_queue(name: &str, skill: u32) -> Value {
    json!({
        "name": name,
        "requirements": [{ "skill": skill, "min_level": 1 }],
        "service_level_threshold": 20000,
        "service_level_target": 80,
        "wrap_up": null,
        "offer_timeout": 15000,
        "max_wait": null,
        "overflow": null,
        "announce_every": null,
        "expected_handle_time": 180000,
    })
}

async fn configuration_changes_reach_the_engine_live_and_survive_a_restart(backend: Backend) {
    let h = Harness::start_on(backend).await;
    let boss = h.login("boss", PASSWORD).await;
    let lan = h.login("lan", PASSWORD).await;

    // A new skill and queue, then Lan gets the skill (a supervisor may do
    // that, not create queues).
    let (status, answer) = h
        .put("/api/skills/2", &h.admin, json!({"name": "vip"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, _) = h.put("/api/queues/2", &boss, new_queue("VIP", 2)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, answer) = h
        .put("/api/queues/2", &h.admin, new_queue("VIP 贵宾", 2))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    // Lan's routing profile now includes the new queue (an admin's change).
    let lan_serves_vip = json!({
        "name": "Lan",
        "skills": [[1, 5]],
        "profile": [{"queue": 1, "priority": 1}, {"queue": 2, "priority": 1}],
    });
    let (status, _) = h.put("/api/agents/7", &boss, lan_serves_vip.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, answer) = h.put("/api/agents/7", &h.admin, lan_serves_vip).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, _) = h
        .put(
            "/api/agents/7/skills",
            &lan,
            json!({"skills": [[1, 5], [2, 9]]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "agents do not set skills");
    let (status, answer) = h
        .put(
            "/api/agents/7/skills",
            &boss,
            json!({"skills": [[1, 5], [2, 9]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    // A contact for the new queue is offered to Lan, who now has the skill.
    ready(&h, 7, &lan).await;
    let mut socket = h.socket("/api/agents/7/stream", &lan).await;
    let (status, answer) = contact(&h, json!({"queue": 2, "dnis": "1900"})).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let offered = socket.next_of("offered").await;
    assert_eq!(offered["kind"]["offered"]["contact"], answer["contact"]);

    // A queue that needs a skill nobody defined is invalid, and says why.
    let (status, answer) = h
        .put("/api/queues/3", &h.admin, new_queue("Ghost", 99))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(
        answer["detail"].as_str().unwrap().contains("skill#99"),
        "{answer}"
    );
    let (status, answer) = h
        .put("/api/queues/3", &h.admin, json!({"id": 4, "name": "x"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(
        answer["detail"].as_str().unwrap().contains("path"),
        "{answer}"
    );

    // Everything is in the configuration view, for analysts too.
    let ana = h.login("ana", PASSWORD).await;
    let (status, config) = h.get("/api/config", &ana).await;
    assert_eq!(status, StatusCode::OK);
    let queues = config["routing"]["queues"].as_array().unwrap();
    assert_eq!(queues.len(), 2);
    assert_eq!(queues[1]["name"], "VIP 贵宾");
    let (status, _) = h.get("/api/config", &lan).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The audit log says who did what, newest first, without hashes.
    let (status, audit) = h.get("/api/audit", &ana).await;
    assert_eq!(status, StatusCode::OK);
    let summaries: Vec<(&str, &str)> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["by"].as_str().unwrap(), e["summary"].as_str().unwrap()))
        .collect();
    assert_eq!(
        summaries[..4],
        [
            ("boss", "agent#7 skills set to skill#1:5, skill#2:9"),
            ("admin", "agent#7 \"Lan\" configured"),
            ("admin", "queue#2 \"VIP 贵宾\" configured"),
            ("admin", "skill#2 set to \"vip\""),
        ]
    );
    assert!(summaries.contains(&("system", "user admin set to role admin")));
    assert!(summaries.contains(&("admin", "user lan set to role agent as agent#7")));
    assert!(!audit.to_string().contains("argon2"), "no password hash");
    let (status, _) = h.get("/api/audit", &boss).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Finish the call so nothing is interrupted, then restart.
    let id = answer_contact(&h, &lan, 7, &offered).await;
    let h = h.restart().await;
    let (_, config) = h.get("/api/config", &h.admin).await;
    assert_eq!(config["routing"]["queues"][1]["name"], "VIP 贵宾");
    assert_eq!(
        config["routing"]["agents"][0]["skills"],
        json!([[1, 5], [2, 9]])
    );
    // The users came back from the log; the agent still routes by its new
    // skills.
    let lan = h.login("lan", PASSWORD).await;
    ready(&h, 7, &lan).await;
    let mut socket = h.socket("/api/agents/7/stream", &lan).await;
    let (status, answer) = contact(&h, json!({"queue": 2, "dnis": "1900"})).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert!(answer["contact"].as_u64().unwrap() > id.0, "ids go on");
    let offered = socket.next_of("offered").await;
    assert_eq!(offered["kind"]["offered"]["contact"], answer["contact"]);
    // The store names the queue as the admin did.
    let names = h.store().names().unwrap();
    assert!(names.iter().any(|n| n.name == "VIP 贵宾"));
}

/// Accepts, ends and wraps up the offered contact; returns its id.
async fn answer_contact(h: &Harness, token: &str, agent: u32, offered: &Value) -> ContactId {
    let id = offered["kind"]["offered"]["contact"].as_u64().unwrap();
    for action in ["accept", "end", "wrap-up"] {
        let (status, answer) = h
            .post(
                &format!("/api/agents/{agent}/{action}"),
                token,
                json!({"contact": id}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{action}: {answer}");
    }
    ContactId(id)
}

async fn retired_things_are_refused_and_their_history_stays(backend: Backend) {
    let h = Harness::start_on(backend).await;
    let lan = h.login("lan", PASSWORD).await;
    let minh = h.login("minh", PASSWORD).await;
    ready(&h, 8, &minh).await;

    // A logged-in agent cannot be retired; once out, it can, and may not
    // log in again.
    let (status, answer) = h.delete("/api/agents/8", &h.admin).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert!(answer["detail"].as_str().unwrap().contains("logged in"));
    let (status, _) = h.post("/api/agents/8/logout", &minh, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h.delete("/api/agents/8", &h.admin).await;
    assert_eq!(status, StatusCode::OK);
    let (status, answer) = h.post("/api/agents/8/login", &minh, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert!(answer["detail"].as_str().unwrap().contains("retired"));

    // A retired reason code is refused; the others still work.
    let (status, _) = h.delete("/api/reason-codes/lunch", &h.admin).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h.delete("/api/reason-codes/login", &h.admin).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "the engine's own reason stays"
    );
    ready(&h, 7, &lan).await;
    let (status, _) = h
        .post("/api/agents/7/not-ready", &lan, json!({"reason": "lunch"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // A skill a queue requires cannot be retired.
    let (status, answer) = h.delete("/api/skills/1", &h.admin).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert!(answer["detail"].as_str().unwrap().contains("queue#1"));

    // A waiting contact is still served after its queue retires; new ones
    // are refused.
    let (status, _) = h.post("/api/agents/7/logout", &lan, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, waiting) = contact(&h, json!({"queue": 1, "dnis": "1900"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = h.delete("/api/queues/1", &h.admin).await;
    assert_eq!(status, StatusCode::OK);
    let (status, answer) = contact(&h, json!({"queue": 1, "dnis": "1900"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert!(answer["detail"].as_str().unwrap().contains("retired"));
    let mut socket = h.socket("/api/agents/7/stream", &lan).await;
    ready(&h, 7, &lan).await;
    let offered = socket.next_of("offered").await;
    assert_eq!(offered["kind"]["offered"]["contact"], waiting["contact"]);
    // Putting the queue again brings it back.
    let (status, _) = h
        .put("/api/queues/1", &h.admin, new_queue("Billing", 1))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = contact(&h, json!({"queue": 1, "dnis": "1900"})).await;
    assert_eq!(status, StatusCode::CREATED);

    // A retired user's token stops working; the last admin cannot go.
    let (status, _) = h.delete("/api/users/lan", &h.admin).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h.get("/api/agents/7", &lan).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, answer) = h.delete("/api/users/admin", &h.admin).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let (status, _) = h.delete("/api/users/nobody", &h.admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A password change ends the user's sessions and takes the new one.
    let boss = h.login("boss", PASSWORD).await;
    let (status, _) = h
        .put(
            "/api/users/boss",
            &h.admin,
            json!({"password": "a new long password"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h.get("/api/queues", &boss).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    h.login("boss", "a new long password").await;
    let (status, users) = h.get("/api/users", &h.admin).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin", "ana", "boss", "minh"]);

    // After a restart the retirements still hold.
    let h = h.restart().await;
    let (status, _) = h.post("/api/agents/8/login", &h.admin, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = h
        .raw(
            hyper::Method::POST,
            "/api/login",
            None,
            Some(json!({"user": "lan", "password": PASSWORD}).to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn a_queue_takes_contacts_only_in_its_opening_hours(backend: Backend) {
    let h = Harness::start_on(backend).await;
    let (status, answer) = h
        .put(
            "/api/queues/1/hours",
            &h.admin,
            serde_json::from_str(MONDAY_8_TO_12).unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    // Monday 09:00 UTC: open.
    let (status, _) = contact(&h, json!({"queue": 1, "dnis": "1900"})).await;
    assert_eq!(status, StatusCode::CREATED);
    // 12:00 is closing time.
    h.clock.advance(Span::from_secs(3 * 3600));
    let (status, answer) = contact(&h, json!({"queue": 1, "dnis": "1900"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    let detail = answer["detail"].as_str().unwrap();
    assert!(detail.contains("closed now (Monday 12:00"), "{detail}");
    assert!(detail.contains("Monday 08:00–12:00"), "{detail}");
    // Hours that close before they open are refused, and nothing changes.
    let backwards = json!([{"day": "tuesday", "open": "18:00", "close": "09:00"}]);
    let (status, answer) = h.put("/api/queues/1/hours", &h.admin, backwards).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let (status, _) = h.put("/api/queues/9/hours", &h.admin, json!([])).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Always open again.
    let (status, _) = h.delete("/api/queues/1/hours", &h.admin).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = contact(&h, json!({"queue": 1, "dnis": "1900"})).await;
    assert_eq!(status, StatusCode::CREATED);
}

async fn the_screen_pop_shows_the_customer_the_line_and_a_repeat_contact(backend: Backend) {
    let h = Harness::start_on(backend).await;
    let lan = h.login("lan", PASSWORD).await;
    let minh = h.login("minh", PASSWORD).await;
    let mai = json!({"name": "Trần Thị Mai", "phones": ["+84901234567"], "tier": "gold"});
    let (status, answer) = h.put("/api/customers/C42", &h.admin, mai.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no tier gold yet: {answer}");
    let (status, _) = h
        .put("/api/tiers/gold", &h.admin, json!({"priority": 5}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h.put("/api/customers/C42", &h.admin, mai).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h
        .put(
            "/api/lines/19001234",
            &h.admin,
            json!({"name": "TV advert, spring offer"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let other = json!({"name": "Someone", "phones": ["+84901234567"]});
    let (status, answer) = h.put("/api/customers/C7", &h.admin, other).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");

    // Mai's first call: recognised by number, given her tier's priority.
    ready(&h, 7, &lan).await;
    let mut socket = h.socket("/api/agents/7/stream", &lan).await;
    let call = json!({"queue": 1, "dnis": "19001234", "ani": "+84901234567"});
    let (status, _) = contact(&h, call.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    let offered = socket.next_of("offered").await;
    let first = offered["kind"]["offered"]["contact"].as_u64().unwrap();
    let (status, pop) = h.get(&format!("/api/contacts/{first}"), &lan).await;
    assert_eq!(status, StatusCode::OK, "{pop}");
    assert_eq!(pop["live"]["priority"], 5);
    assert_eq!(pop["live"]["attributes"], json!([["customer", "C42"]]));
    assert_eq!(pop["customer"]["name"], "Trần Thị Mai");
    assert_eq!(pop["customer"]["tier"], "gold");
    assert_eq!(pop["line"], "TV advert, spring offer");
    assert_eq!(pop["recent"], json!([]));
    assert_eq!(pop["repeat_of"], Value::Null);
    // Another agent may not look at it.
    let (status, _) = h.get(&format!("/api/contacts/{first}"), &minh).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for action in ["accept", "end"] {
        let (status, _) = h
            .post(
                &format!("/api/agents/7/{action}"),
                &lan,
                json!({"contact": first}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let wrap = json!({"contact": first, "reason": "billing", "notes": "invoice twice"});
    let (status, _) = h.post("/api/agents/7/wrap-up", &lan, wrap).await;
    assert_eq!(status, StatusCode::OK);

    // She calls again two hours later: a repeat, with her last call shown.
    h.clock.advance(Span::from_secs(2 * 3600));
    let (status, _) = contact(&h, call).await;
    assert_eq!(status, StatusCode::CREATED);
    let offered = socket.next_of("offered").await;
    let second = offered["kind"]["offered"]["contact"].as_u64().unwrap();
    let (status, pop) = h.get(&format!("/api/contacts/{second}"), &lan).await;
    assert_eq!(status, StatusCode::OK, "{pop}");
    assert_eq!(pop["repeat_of"], first);
    let recent = pop["recent"].as_array().unwrap();
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0]["contact"], first);
    assert_eq!(recent[0]["reason"], "billing");
    assert_eq!(recent[0]["notes"], "invoice twice");
    assert_eq!(recent[0]["agent"], 7);

    // The customer's page lists the same history; the first contact's pop
    // still opens for the agent who handled it.
    let (status, page) = h.get("/api/customers/C42", &h.admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["recent"][0]["contact"], first);
    let (status, pop) = h.get(&format!("/api/contacts/{first}"), &lan).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(pop["finished"]["result"], "handled");
    let (status, _) = h.get("/api/contacts/999", &h.admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

on_every_backend!(
    configuration_changes_reach_the_engine_live_and_survive_a_restart,
    retired_things_are_refused_and_their_history_stays,
    a_queue_takes_contacts_only_in_its_opening_hours,
    the_screen_pop_shows_the_customer_the_line_and_a_repeat_contact,
);
