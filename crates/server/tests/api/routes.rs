//! Every `/api` route but the public ones answers 401 to nobody (and to a
//! bad token); only the public ones are tagged `public`; the description
//! served is the one the router was built from; the routes the pages use
//! are all there.

use crate::common::*;

/// The routes the pages and clients rely on; the description may have more.
const EXPECTED: &[(&str, &str, bool)] = &[
    ("post", "/api/v1/login", true),
    ("post", "/api/v1/logout", false),
    ("get", "/api/v1/me", false),
    ("get", "/api/v1/devices", false),
    ("post", "/api/v1/devices", false),
    ("post", "/api/v1/devices/import", false),
    ("put", "/api/v1/devices/{mn}/enabled", false),
    ("get", "/api/v1/forward", false),
    ("get", "/api/v1/loggers", false),
    ("post", "/api/v1/loggers/approve", false),
    ("get", "/api/v1/frames", false),
    ("get", "/api/v1/quarantine", false),
    ("get", "/api/v1/public/now", true),
    ("get", "/api/v1/public/boundary", true),
    ("put", "/api/v1/boundary", false),
    ("get", "/api/v1/overview", false),
    ("get", "/api/v1/stations", false),
    ("get", "/api/v1/stations/{code}/hourly", false),
    ("get", "/api/v1/stations/{code}/daily", false),
    ("get", "/api/v1/stations/{code}/rose", false),
    ("get", "/api/v1/area/{interval}", false),
    ("get", "/api/v1/targets", false),
    ("get", "/api/v1/rankings", false),
    ("get", "/api/v1/assessment", false),
    ("get", "/api/v1/tickets", false),
    ("post", "/api/v1/tickets", false),
    ("get", "/api/v1/tickets/{id}", false),
    ("post", "/api/v1/tickets/{id}/actions", false),
    ("post", "/api/v1/tickets/{id}/attachments", false),
    ("get", "/api/v1/tickets/attachments/{id}", false),
    ("get", "/api/v1/tickets/sla", false),
    ("get", "/api/v1/inbox", false),
    ("post", "/api/v1/inbox/read", false),
    ("get", "/api/v1/webhooks", false),
    ("put", "/api/v1/webhooks", false),
    ("delete", "/api/v1/webhooks", false),
    ("post", "/api/v1/observations", false),
    ("get", "/api/v1/reviews", false),
    ("post", "/api/v1/reviews", false),
    ("post", "/api/v1/reviews/{id}/restore", false),
    ("get", "/api/v1/fires", false),
    ("post", "/api/v1/fires", false),
    ("post", "/api/v1/fires/{id}/verify", false),
    ("post", "/api/v1/fires/{id}/appeal", false),
    ("post", "/api/v1/fires/{id}/appeal/decide", false),
    ("get", "/api/v1/fires/ledger", false),
    ("post", "/api/v1/fires/{id}/photos", false),
    ("get", "/api/v1/fires/photos/{id}", false),
    ("get", "/api/v1/plan", false),
    ("put", "/api/v1/plan", false),
    ("get", "/api/v1/ledger/tasks", false),
    ("get", "/api/v1/ledger/reports", false),
    ("post", "/api/v1/ledger/reports", false),
    ("post", "/api/v1/ledger/reports/{id}/files", false),
    ("get", "/api/v1/ledger/files/{id}", false),
    ("get", "/api/v1/ledger/scores", false),
    ("get", "/api/v1/reports", false),
    ("post", "/api/v1/reports", false),
    ("get", "/api/v1/reports/{id}", false),
    ("get", "/api/v1/reports/{id}/{format}", false),
    ("get", "/api/v1/public/air-reports", true),
    ("get", "/api/v1/public/air-reports/{id}", true),
    ("get", "/api/v1/townships/boundaries", false),
    ("put", "/api/v1/townships/boundaries", false),
    ("get", "/api/v1/forecasts", false),
    ("post", "/api/v1/forecasts", false),
    ("get", "/api/v1/alerts", false),
    ("post", "/api/v1/alerts", false),
    ("get", "/api/v1/alerts/{id}", false),
    ("post", "/api/v1/alerts/{id}/steps", false),
    ("get", "/api/v1/alerts/{id}/compliance", false),
    ("get", "/api/v1/reduction-list", false),
    ("post", "/api/v1/reduction-list/generate", false),
    ("put", "/api/v1/reduction-list/{code}/{line}/{level}", false),
    ("get", "/api/v1/reduction-list/{code}/history", false),
    ("post", "/api/v1/reduction-list/import", false),
    ("get", "/api/v1/emission-inventory", false),
    ("put", "/api/v1/emission-inventory", false),
    ("get", "/api/v1/public/alert", true),
    ("get", "/api/v1/enterprises/{code}/measures", false),
    ("post", "/api/v1/public/reports", true),
    ("get", "/api/v1/public/reports/{code}", true),
    ("post", "/api/v1/public/reports/{code}/photos", true),
    ("get", "/open311/v2/services.json", true),
    ("get", "/open311/v2/requests.json", true),
    ("post", "/open311/v2/requests.json", true),
    ("get", "/open311/v2/requests/{id}", true),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_route_but_the_public_ones_answers_401_to_nobody() {
    let url = databases("routes").await.remove(0);
    let (srv, _store) = start(&url).await;
    let routes = lantian_server::http::api_routes();
    for (method, path, public) in EXPECTED {
        assert!(
            routes
                .iter()
                .any(|(m, p, pub_)| m == method && p == path && pub_ == public),
            "{method} {path} (public {public}) is not routed: {routes:?}"
        );
    }
    for (method, path, public) in &routes {
        let m = method.to_uppercase();
        let r = http(srv.http_addr, &m, path, &[], "").await;
        if *public {
            assert!(
                !r.starts_with("HTTP/1.1 401"),
                "{method} {path} is public: {r}"
            );
        } else {
            assert!(r.starts_with("HTTP/1.1 401"), "{method} {path}: {r}");
            let t = http(
                srv.http_addr,
                &m,
                path,
                &[("Authorization", "Bearer lt_x")],
                "",
            )
            .await;
            assert!(
                t.starts_with("HTTP/1.1 401"),
                "{method} {path} with a bad token: {t}"
            );
        }
    }
    // The description served is the router's own; Swagger UI is served
    // from the binary.
    let doc = http(srv.http_addr, "GET", "/api/openapi.json", &[], "").await;
    assert!(doc.starts_with("HTTP/1.1 200"), "{doc}");
    let doc = json_body(&doc);
    let n: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(n, routes.len());
    let ui = http(srv.http_addr, "GET", "/api/docs/", &[], "").await;
    assert!(
        ui.starts_with("HTTP/1.1 200") && ui.contains("swagger"),
        "{ui}"
    );
    srv.shutdown().await.unwrap();
}

/// The bounds and lists the handlers enforce are in the description, so a
/// client generated from it sends only what is accepted.
#[test]
fn the_description_declares_bounds_and_enums() {
    let doc = serde_json::to_value(lantian_server::http::openapi()).unwrap();
    let param = |path: &str, name: &str| -> serde_json::Value {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{path} has no parameters"))
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{path}: no parameter {name}"))["schema"]
            .clone()
    };
    // A schema, or the component it refers to.
    let resolve = |s: serde_json::Value| -> serde_json::Value {
        let s = s
            .get("oneOf")
            .and_then(|o| o[0].get("$ref").map(|_| o[0].clone()))
            .unwrap_or(s);
        match s.get("$ref").and_then(|r| r.as_str()) {
            Some(r) => doc["components"]["schemas"][r.rsplit('/').next().unwrap()].clone(),
            None => s,
        }
    };
    let limit = param("/api/v1/frames", "limit");
    assert_eq!(
        (limit["minimum"].as_f64(), limit["maximum"].as_f64()),
        (Some(1.0), Some(1000.0)),
        "{limit}"
    );
    let days = param("/api/v1/stations/{code}/hourly", "days");
    assert_eq!(
        (days["minimum"].as_f64(), days["maximum"].as_f64()),
        (Some(1.0), Some(31.0)),
        "{days}"
    );
    let year = param("/api/v1/stations/{code}/daily", "year");
    assert_eq!(
        (year["minimum"].as_f64(), year["maximum"].as_f64()),
        (Some(1900.0), Some(9999.0)),
        "{year}"
    );
    let verdict = resolve(param("/api/v1/frames", "verdict"));
    let names: Vec<&str> = verdict["enum"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    let all: Vec<&str> = lantian_store::Verdict::ALL
        .iter()
        .map(|v| v.as_str())
        .collect();
    assert_eq!(names, all, "{verdict}");
    let format = resolve(param("/api/v1/devices", "format"));
    assert_eq!(
        format["enum"],
        serde_json::json!(["json", "csv", "xlsx"]),
        "{format}"
    );
    let interval = resolve(
        doc["paths"]["/api/v1/area/{interval}"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "interval")
            .unwrap()["schema"]
            .clone(),
    );
    assert_eq!(
        interval["enum"],
        serde_json::json!(["hourly", "daily"]),
        "{interval}"
    );
    // Every reference names a schema that is there.
    let text = doc.to_string();
    for r in text.split("\"#/components/schemas/").skip(1) {
        let name = r.split('"').next().unwrap();
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "dangling $ref {name}"
        );
    }
}
