//! Every `/api` route but the public ones answers 401 to nobody; the OpenAPI description names them all.

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_route_but_the_public_ones_answers_401_to_nobody() {
    let url = databases("routes").await.remove(0);
    let (srv, _store) = start(&url).await;
    assert!(lantian_server::http::API_ROUTES.len() >= 4);
    for &(method, path, public) in lantian_server::http::API_ROUTES {
        let r = http(srv.http_addr, &method.to_uppercase(), path, &[], "").await;
        if public {
            assert!(
                !r.starts_with("HTTP/1.1 401"),
                "{method} {path} is public: {r}"
            );
        } else {
            assert!(r.starts_with("HTTP/1.1 401"), "{method} {path}: {r}");
            let t = http(
                srv.http_addr,
                &method.to_uppercase(),
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
    // The OpenAPI description names every route, with the public ones tagged
    // `public` and no other; Swagger UI is served from the binary.
    let doc = http(srv.http_addr, "GET", "/api/openapi.json", &[], "").await;
    assert!(doc.starts_with("HTTP/1.1 200"), "{doc}");
    let doc = json_body(&doc);
    let paths = doc["paths"].as_object().unwrap();
    assert_eq!(paths.len(), lantian_server::http::API_ROUTES.len());
    for &(method, path, public) in lantian_server::http::API_ROUTES {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} missing from openapi.json");
        let tagged = op["tags"].as_array().unwrap().iter().any(|t| t == "public");
        assert_eq!(tagged, public, "{method} {path}: tag public");
    }
    let ui = http(srv.http_addr, "GET", "/api/docs/", &[], "").await;
    assert!(
        ui.starts_with("HTTP/1.1 200") && ui.contains("swagger"),
        "{ui}"
    );
    srv.shutdown().await.unwrap();
}
