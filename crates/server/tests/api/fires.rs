//! Fire points end to end, on both backends: township boundaries uploaded,
//! a satellite list stored (each point placed in its township; bad rows
//! named; a second identical list stores nothing), a township sees and
//! verifies only its own points (a neighbour's: 403), of two verifying at
//! once one wins, and the ledger's deductions are the hand-worked ones.

use crate::common::*;

/// 羊册镇 = [113.0, 113.2] × [32.0, 32.2]; 泌水街道 = [113.2, 113.4] × the same.
const TOWNS: &str = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"name":"羊册镇"},"geometry":{"type":"Polygon","coordinates":[[[113.0,32.0],[113.2,32.0],[113.2,32.2],[113.0,32.2],[113.0,32.0]]]}},
 {"type":"Feature","properties":{"name":"泌水街道"},"geometry":{"type":"Polygon","coordinates":[[[113.2,32.0],[113.4,32.0],[113.4,32.2],[113.2,32.2],[113.2,32.0]]]}}]}"#;

/// 羊册镇: Y1 straw, Y2 unknown (verified straw below), Y3 unknown
/// (verified false); 泌水街道: M1 other, M2 unknown; one point outside; one
/// row without a clock time.
const LIST: &str = "id,time,lon,lat,source,type\n\
    Y1,2026-10-05 13:20,113.05,32.05,satellite,straw\n\
    Y2,2026-10-06 13:20,113.10,32.15,satellite,unknown\n\
    Y3,2026-10-07 13:20,113.15,32.05,satellite,\n\
    M1,2026-10-05 13:20,113.30,32.10,satellite,other\n\
    M2,2026-11-02 13:20,113.35,32.15,satellite,unknown\n\
    X1,2026-10-05 13:20,114.00,33.00,satellite,straw\n\
    BAD,2026-10-05,113.05,32.05,satellite,straw\n";

fn id_of(list: &serde_json::Value, ext: &str) -> i64 {
    list["fires"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["ext_id"] == ext)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fire_points_are_placed_verified_by_their_township_and_charged() {
    for url in databases("fires").await {
        let (srv, store) = start(&url).await;
        let a = srv.http_addr;
        let bureau = user_with_token(&store, "chen", "bureau", None).await;
        let yangce = user_with_token(&store, "yangce", "township", Some("羊册镇")).await;
        let mishui = user_with_token(&store, "mishui", "township", Some("泌水街道")).await;
        let nongye = user_with_token(&store, "nongye", "department", Some("农业农村局")).await;
        let firm = user_with_token(&store, "qiye", "enterprise", Some("91411726MA40000001")).await;

        let towns =
            r#"[{"name":"羊册镇","code":"411726102"},{"name":"泌水街道","code":"411726002"}]"#;
        assert_eq!(
            call(a, "PUT", "/api/v1/townships", &bureau, towns).await.0,
            200
        );
        // Boundaries: a township without a name is refused by feature.
        let (st, v) = call(
            a,
            "PUT",
            "/api/v1/townships/boundaries",
            &bureau,
            &TOWNS.replace("\"name\":\"泌水街道\"", "\"n\":1"),
        )
        .await;
        assert_eq!(st, 400, "{url}: {v}");
        assert!(v.to_string().contains("feature 1: no property"), "{v}");
        let (st, v) = call(a, "PUT", "/api/v1/townships/boundaries", &yangce, TOWNS).await;
        assert_eq!(st, 403, "{url}: a township does not upload boundaries");
        let (st, v2) = call(a, "PUT", "/api/v1/townships/boundaries", &bureau, TOWNS).await;
        assert_eq!(
            (st, &v2["townships"]),
            (200, &serde_json::json!(["羊册镇", "泌水街道"])),
            "{url}: {v} {v2}"
        );

        // The list: six stored (one outside), the bad row named.
        let body = serde_json::json!({ "csv": LIST }).to_string();
        let (st, v) = call(a, "POST", "/api/v1/fires", &bureau, &body).await;
        assert_eq!(st, 200, "{url}: {v}");
        assert_eq!(
            (&v["stored"], &v["duplicates"], &v["outside"]),
            (
                &serde_json::json!(6),
                &serde_json::json!(0),
                &serde_json::json!(1)
            ),
            "{v}"
        );
        assert_eq!(v["refused"][0]["row"], 8, "{v}");
        let (_, v) = call(a, "POST", "/api/v1/fires", &bureau, &body).await;
        assert_eq!(
            (&v["stored"], &v["duplicates"]),
            (&serde_json::json!(0), &serde_json::json!(6)),
            "{url}: twice"
        );
        // A camera alarm as JSON; a township may not push.
        let cam = r#"[{"id":"CAM-9","time":"2026-10-06 13:40","lon":113.1,"lat":32.15,"source":"camera"}]"#;
        assert_eq!(call(a, "POST", "/api/v1/fires", &yangce, cam).await.0, 403);
        let (st, v) = call(a, "POST", "/api/v1/fires", &bureau, cam).await;
        assert_eq!(
            (st, &v["stored"]),
            (200, &serde_json::json!(1)),
            "{url}: {v}"
        );

        // Who sees what.
        let (st, all) = call(a, "GET", "/api/v1/fires?year=2026", &bureau, "").await;
        assert_eq!(
            (st, all["fires"].as_array().unwrap().len()),
            (200, 7),
            "{url}"
        );
        let (_, own) = call(a, "GET", "/api/v1/fires?year=2026", &yangce, "").await;
        let towns: Vec<&str> = own["fires"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["township"].as_str().unwrap())
            .collect();
        assert_eq!(towns, ["羊册镇"; 4], "{url}: {own}");
        let neighbour = "/api/v1/fires?year=2026&township=%E6%B3%8C%E6%B0%B4%E8%A1%97%E9%81%93";
        assert_eq!(call(a, "GET", neighbour, &yangce, "").await.0, 403, "{url}");
        assert_eq!(call(a, "GET", "/api/v1/fires", &nongye, "").await.0, 200);
        assert_eq!(call(a, "GET", "/api/v1/fires", &firm, "").await.0, 403);

        // Verification: a neighbour's point 403; its own 200; a bad type 400.
        let (y2, y3, m2) = (id_of(&all, "Y2"), id_of(&all, "Y3"), id_of(&all, "M2"));
        let straw = r#"{"type":"straw","note":"现场核实为秸秆焚烧"}"#;
        assert_eq!(
            call(
                a,
                "POST",
                &format!("/api/v1/fires/{m2}/verify"),
                &yangce,
                straw
            )
            .await
            .0,
            403,
            "{url}"
        );
        assert_eq!(
            call(
                a,
                "POST",
                &format!("/api/v1/fires/{y2}/verify"),
                &yangce,
                r#"{"type":"grass","note":"x"}"#
            )
            .await
            .0,
            400
        );
        assert_eq!(
            call(
                a,
                "POST",
                &format!("/api/v1/fires/{y2}/verify"),
                &yangce,
                r#"{"type":"straw","note":" "}"#
            )
            .await
            .0,
            400
        );
        // Two at once: one wins.
        let path = format!("/api/v1/fires/{y2}/verify");
        let (r1, r2) = tokio::join!(
            call(a, "POST", &path, &yangce, straw),
            call(a, "POST", &path, &bureau, straw)
        );
        let mut codes = [r1.0, r2.0];
        codes.sort();
        assert_eq!(codes, [200, 409], "{url}");
        let (st, v) = call(
            a,
            "POST",
            &format!("/api/v1/fires/{y3}/verify"),
            &yangce,
            r#"{"type":"false","note":"烟囱热源"}"#,
        )
        .await;
        assert_eq!(
            (st, v["kind_zh"].as_str()),
            (200, Some("误报")),
            "{url}: {v}"
        );
        assert_eq!(v["verified_by"], "yangce");
        assert!(
            v["ticket_id"].is_null(),
            "{url}: a false alarm opens no ticket"
        );
        // The straw point became 羊册镇's ticket (source fire_point), in the
        // verification's transaction.
        let (_, own) = call(a, "GET", "/api/v1/fires?year=2026", &yangce, "").await;
        let y2row = own["fires"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["ext_id"] == "Y2")
            .unwrap()
            .clone();
        let ticket = y2row["ticket_id"].as_i64().expect("a ticket for Y2");
        let (st, tk) = call(a, "GET", &format!("/api/v1/tickets/{ticket}"), &yangce, "").await;
        assert_eq!(st, 200, "{url}: {tk}");
        assert_eq!(
            (tk["source"].as_str(), tk["assignee"].as_str()),
            (Some("fire_point"), Some("township:羊册镇")),
            "{tk}"
        );
        assert_eq!(
            call(a, "GET", &format!("/api/v1/tickets/{ticket}"), &mishui, "")
                .await
                .0,
            403
        );
        let (_, tickets) = call(a, "GET", "/api/v1/tickets", &bureau, "").await;
        let n = tickets["tickets"].as_array().map_or(0, |l| {
            l.iter().filter(|t| t["source"] == "fire_point").count()
        });
        assert_eq!(
            n, 1,
            "{url}: the losing verification left no ticket: {tickets}"
        );

        // The ledger, by hand (the plan's rates): 羊册镇 Y1 straw + Y2
        // straw (the camera alarm CAM-9, at Y2 20 min later, is the
        // same fire) = 1,000,000, Y3 false; 泌水街道 M1 other 100,000, M2
        // pending; X1 outside, charged to no one.
        let (st, l) = call(a, "GET", "/api/v1/fires/ledger?year=2026", &bureau, "").await;
        assert_eq!(st, 200, "{url}: {l}");
        let area = |l: &serde_json::Value, n: &str| {
            let t = &l["areas"][n];
            (
                t["points"].as_u64(),
                t["straw"].as_u64(),
                t["false"].as_u64(),
                t["pending"].as_u64(),
                t["deduction_cny"].to_string(),
            )
        };
        assert_eq!(
            area(&l, "羊册镇"),
            (Some(3), Some(2), Some(1), Some(0), "1000000".into()),
            "{url}: {l}"
        );
        assert_eq!(
            area(&l, "泌水街道"),
            (Some(2), Some(0), Some(0), Some(1), "100000".into()),
            "{url}: {l}"
        );
        assert_eq!(l["outside"]["points"], 1);
        assert_eq!(
            l["months"]["羊册镇"]["2026-10"]["deduction_cny"].to_string(),
            "1000000"
        );
        // A township reads its own row only; a neighbour's is 403.
        let (_, own) = call(a, "GET", "/api/v1/fires/ledger?year=2026", &mishui, "").await;
        assert_eq!(
            own["areas"].as_object().unwrap().keys().collect::<Vec<_>>(),
            ["泌水街道"],
            "{url}: {own}"
        );
        let other = "/api/v1/fires/ledger?year=2026&township=%E7%BE%8A%E5%86%8C%E9%95%87";
        assert_eq!(call(a, "GET", other, &mishui, "").await.0, 403);
        // 羊册镇 appeals Y2 (a heat source, it says); the bureau upholds it:
        // the point is no longer charged (booked as not burning).
        let ap = format!("/api/v1/fires/{y2}/appeal");
        let why = r#"{"reason":"复核为砖厂余热，非焚烧"}"#;
        assert_eq!(call(a, "POST", &ap, &mishui, why).await.0, 403, "{url}");
        assert_eq!(
            call(
                a,
                "POST",
                &format!("/api/v1/fires/{m2}/appeal"),
                &mishui,
                why
            )
            .await
            .0,
            409,
            "{url}: not verified yet"
        );
        let (st, v) = call(a, "POST", &ap, &yangce, why).await;
        assert_eq!(
            (st, v["appeal_state"].as_str()),
            (200, Some("pending")),
            "{url}: {v}"
        );
        assert_eq!(
            call(a, "POST", &ap, &yangce, why).await.0,
            409,
            "{url}: appealed once"
        );
        let decide = format!("{ap}/decide");
        let yes = r#"{"upheld":true,"note":"热源核实属实"}"#;
        assert_eq!(call(a, "POST", &decide, &yangce, yes).await.0, 403, "{url}");
        let (st, v) = call(a, "POST", &decide, &bureau, yes).await;
        assert_eq!(
            (st, v["appeal_state"].as_str()),
            (200, Some("upheld")),
            "{url}: {v}"
        );
        assert_eq!(call(a, "POST", &decide, &bureau, yes).await.0, 409);
        let (_, l) = call(a, "GET", "/api/v1/fires/ledger?year=2026", &bureau, "").await;
        assert_eq!(
            area(&l, "羊册镇"),
            (Some(3), Some(1), Some(2), Some(0), "500000".into()),
            "{url}: {l}"
        );
        // The verification is in the audit log.
        let audit = store.audit_log(50).await.unwrap();
        for act in ["fire.verify", "fire.appeal", "fire.appeal_decide"] {
            assert!(audit.iter().any(|r| r.action == act), "{url}: {act}");
        }

        // Photos of the site: the point's township and the bureau add
        // them; a neighbour township neither adds nor reads them; a
        // department reads them; the list shows them.
        let y1 = id_of(
            &call(a, "GET", "/api/v1/fires?year=2026", &bureau, "")
                .await
                .1,
            "Y1",
        );
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDRsite-photo";
        let path = format!("/api/v1/fires/{y1}/photos?name=%E7%8E%B0%E5%9C%BA.png");
        let (st, ph) = upload_bytes(a, &path, &yangce, png).await;
        assert_eq!(st, 200, "{url}: {ph}");
        assert_eq!(upload_bytes(a, &path, &mishui, png).await.0, 403, "{url}");
        assert_eq!(
            upload_bytes(a, &path, &yangce, b"not an image").await.0,
            400
        );
        let got = format!("/api/v1/fires/photos/{}", ph["id"]);
        assert!(
            http_get(a, &got, Some(&nongye))
                .await
                .ends_with("site-photo")
        );
        assert_eq!(status(&http_get(a, &got, Some(&mishui)).await), 403);
        let (_, l) = call(a, "GET", "/api/v1/fires?year=2026", &yangce, "").await;
        let y = l["fires"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["ext_id"] == "Y1")
            .unwrap();
        assert_eq!(y["photos"][0]["name"], "现场.png", "{url}: {y}");

        // Tickets are placed by their position when no township is
        // written: the bureau's, and a public report's (which 羊册镇 then
        // reads as located in it); outside every township: none.
        let open = |lon: f64, lat: f64| {
            serde_json::json!({"title": "露天焚烧", "description": "现场", "lon": lon, "lat": lat})
                .to_string()
        };
        let (st, t) = call(a, "POST", "/api/v1/tickets", &bureau, &open(113.1, 32.1)).await;
        assert_eq!(
            (st, t["township"].as_str()),
            (201, Some("羊册镇")),
            "{url}: {t}"
        );
        let (_, t) = call(a, "POST", "/api/v1/tickets", &bureau, &open(114.5, 33.5)).await;
        assert!(t["township"].is_null(), "{url}: {t}");
        let written = serde_json::json!({"title": "x", "description": "y", "lon": 113.1, "lat": 32.1, "township": "泌水街道"});
        let (_, t) = call(a, "POST", "/api/v1/tickets", &bureau, &written.to_string()).await;
        assert_eq!(t["township"], "泌水街道", "a written township wins: {t}");
        let report = r#"{"category":"straw_burning","description":"田里有人焚烧秸秆，浓烟很大","lon":113.15,"lat":32.15}"#;
        let r = http(
            a,
            "POST",
            "/api/v1/public/reports",
            &[("Content-Type", "application/json")],
            report,
        )
        .await;
        assert_eq!(status(&r), 201, "{url}: {r}");
        let (_, mine) = call(
            a,
            "GET",
            "/api/v1/tickets?source=public_report",
            &yangce,
            "",
        )
        .await;
        let placed = mine["tickets"].as_array().unwrap();
        assert_eq!(placed.len(), 1, "{url}: {mine}");
        assert_eq!(placed[0]["township"], "羊册镇");
    }
}
