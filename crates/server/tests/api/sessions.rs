//! Browser sessions, CSRF, logins and their limits.

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_sessions_csrf_login_limits_and_audit() {
    use lantian_server::auth;
    for url in databases("sessions").await {
        let (srv, store) = start(&url).await;
        let hash = auth::hash_password("a long password").unwrap();
        store
            .add_user("chen", &hash, "bureau", None, "test")
            .await
            .unwrap();
        store
            .add_user("wang", &hash, "department", Some("住建局"), "test")
            .await
            .unwrap();
        let a = srv.http_addr;
        let login = |u: &'static str, p: &'static str| async move {
            http(
                a,
                "POST",
                "/api/v1/login",
                &[("Content-Type", "application/json")],
                &format!(r#"{{"username":"{u}","password":"{p}"}}"#),
            )
            .await
        };
        let bad = http(
            a,
            "POST",
            "/api/v1/login",
            &[("Content-Type", "application/json")],
            "username=chen",
        )
        .await;
        assert!(bad.starts_with("HTTP/1.1 400"), "{bad}");
        let wrong = login("chen", "not it").await;
        assert!(
            wrong.starts_with("HTTP/1.1 401") && !wrong.to_ascii_lowercase().contains("set-cookie"),
            "{wrong}"
        );
        let nobody = login("nobody", "a long password").await;
        assert!(nobody.starts_with("HTTP/1.1 401"), "{nobody}");
        let ok = login("chen", "a long password").await;
        assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
        let set = ok
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
            .unwrap();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict"),
            "{set}"
        );
        let cookie = set
            .split_once(": ")
            .unwrap()
            .1
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let csrf = json_body(&ok)["csrf"].as_str().unwrap().to_string();
        assert_eq!(json_body(&ok)["role"], "bureau");
        let me = http(a, "GET", "/api/v1/me", &[("Cookie", &cookie)], "").await;
        assert!(me.starts_with("HTTP/1.1 200"), "{me}");
        assert_eq!(json_body(&me)["username"], "chen");
        let devs = http(a, "GET", "/api/v1/devices", &[("Cookie", &cookie)], "").await;
        assert!(devs.starts_with("HTTP/1.1 200"), "{devs}");
        // A forged cookie is nobody; a POST without the CSRF token is refused.
        let forged = http(
            a,
            "GET",
            "/api/v1/me",
            &[("Cookie", "lantian_session=lt_00")],
            "",
        )
        .await;
        assert!(forged.starts_with("HTTP/1.1 401"), "{forged}");
        let no_csrf = http(a, "POST", "/api/v1/logout", &[("Cookie", &cookie)], "").await;
        assert!(no_csrf.starts_with("HTTP/1.1 403"), "{no_csrf}");
        let bad_csrf = http(
            a,
            "POST",
            "/api/v1/logout",
            &[("Cookie", &cookie), ("X-CSRF-Token", "lt_1")],
            "",
        )
        .await;
        assert!(bad_csrf.starts_with("HTTP/1.1 403"), "{bad_csrf}");
        let out = http(
            a,
            "POST",
            "/api/v1/logout",
            &[("Cookie", &cookie), ("X-CSRF-Token", &csrf)],
            "",
        )
        .await;
        assert!(out.starts_with("HTTP/1.1 204"), "{out}");
        let after = http(a, "GET", "/api/v1/me", &[("Cookie", &cookie)], "").await;
        assert!(after.starts_with("HTTP/1.1 401"), "{after}");
        // A department user's session may not see the devices.
        let w = login("wang", "a long password").await;
        let wc = w
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
            .unwrap();
        let wc = wc
            .split_once(": ")
            .unwrap()
            .1
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let d = http(a, "GET", "/api/v1/devices", &[("Cookie", &wc)], "").await;
        assert!(d.starts_with("HTTP/1.1 403"), "{d}");
        // Five failures for one name: even the right password waits.
        for _ in 0..5 {
            assert!(login("wang", "guess").await.starts_with("HTTP/1.1 401"));
        }
        let limited = login("wang", "a long password").await;
        assert!(limited.starts_with("HTTP/1.1 429"), "{limited}");
        let actions: Vec<String> = store
            .audit_log(100)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        for want in ["login.failed", "login.ok", "logout", "login.limited"] {
            assert!(actions.iter().any(|x| x == want), "{want} in {actions:?}");
        }
        srv.shutdown().await.unwrap();
    }
}

/// Forty wrong passwords for one name at once: each attempt is counted
/// before its hash is checked, so at most five are checked (401) and the
/// rest are refused (429, or 503 when no password check is free).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_wrong_passwords_are_counted_before_the_hash_is_checked() {
    let url = databases("parallel_logins").await.remove(0);
    let (srv, store) = start(&url).await;
    user_with_token(&store, "chen", "bureau", None).await;
    let a = srv.http_addr;
    let tries: Vec<_> = (0..40)
        .map(|_| tokio::spawn(async move { status(&login_as(a, "chen", "not it", &[]).await) }))
        .collect();
    let mut codes = Vec::new();
    for t in tries {
        codes.push(t.await.unwrap());
    }
    let checked = codes.iter().filter(|c| **c == 401).count();
    assert!(checked <= 5, "{checked} passwords checked: {codes:?}");
    assert!(
        codes.iter().all(|c| matches!(c, 401 | 429 | 503)),
        "{codes:?}"
    );
    assert!(codes.contains(&429), "{codes:?}");
    // An attempt answered 503 was never checked and is not counted (a busy
    // server must not lock a user out); on a loaded machine one of the
    // five admitted may be. The wrong passwords that make up the five:
    for _ in checked..5 {
        assert_eq!(status(&login_as(a, "chen", "not it", &[]).await), 401);
    }
    // The right password now waits out the window too, and the answer
    // says for how long.
    let limited = login_as(a, "chen", "a long password", &[]).await;
    assert_eq!(status(&limited), 429);
    let wait: u64 = limited
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("retry-after: ")
                .map(|v| v.trim().parse().unwrap())
        })
        .expect("a Retry-After header");
    assert!((1..=900).contains(&wait), "{wait}");
    srv.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_wants_json_and_the_bearer_scheme_is_case_insensitive() {
    let url = databases("login_json").await.remove(0);
    let (srv, store) = start(&url).await;
    let token = user_with_token(&store, "chen", "bureau", None).await;
    let a = srv.http_addr;
    let body = r#"{"username":"chen","password":"a long password"}"#;
    // A cross-site form can send text/plain or a form encoding: refused.
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let r = http(a, "POST", "/api/v1/login", &[("Content-Type", ct)], body).await;
        assert_eq!(status(&r), 415, "{ct}: {r}");
    }
    let r = http(a, "POST", "/api/v1/login", &[], body).await;
    assert_eq!(status(&r), 415, "{r}");
    let r = http(
        a,
        "POST",
        "/api/v1/login",
        &[("Content-Type", "application/json; charset=utf-8")],
        body,
    )
    .await;
    assert_eq!(status(&r), 200, "{r}");
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let auth = format!("{scheme} {token}");
        let r = http(a, "GET", "/api/v1/me", &[("Authorization", &auth)], "").await;
        assert_eq!(status(&r), 200, "{scheme}: {r}");
    }
    srv.shutdown().await.unwrap();
}

/// Behind a reverse proxy every login comes from the proxy's address:
/// counting that address would lock everyone out. Only a trusted proxy's
/// `X-Forwarded-For` is believed, and its own address is not counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_proxy_passes_the_client_address_and_is_not_locked_out() {
    let url = databases("proxies").await.remove(0);
    let (srv, store) = start_with(&url, |c| c.trusted_proxies = vec!["127.0.0.0/8".into()]).await;
    user_with_token(&store, "chen", "bureau", None).await;
    let a = srv.http_addr;
    // Twenty failures from one client behind the proxy (distinct names, so
    // no name's own limit is reached) block that client …
    for i in 0..20 {
        let r = login_as(
            a,
            &format!("u{i}"),
            "x",
            &[("X-Forwarded-For", "198.51.100.7")],
        )
        .await;
        assert_eq!(status(&r), 401, "{r}");
    }
    let r = login_as(
        a,
        "chen",
        "a long password",
        &[("X-Forwarded-For", "198.51.100.7")],
    )
    .await;
    assert_eq!(status(&r), 429, "{r}");
    // … and no one else behind the same proxy.
    let r = login_as(
        a,
        "chen",
        "a long password",
        &[("X-Forwarded-For", "203.0.113.5")],
    )
    .await;
    assert_eq!(status(&r), 200, "{r}");
    // The proxy's own address (no X-Forwarded-For) is never counted.
    for i in 0..25 {
        let r = login_as(a, &format!("v{i}"), "x", &[]).await;
        assert_eq!(status(&r), 401, "{r}");
    }
    let r = login_as(a, "chen", "a long password", &[]).await;
    assert_eq!(status(&r), 200, "{r}");
    srv.shutdown().await.unwrap();

    // Without trusted proxies, X-Forwarded-For is the client's own claim:
    // ignored, so forging it does not escape the limit.
    let url = databases("no_proxies").await.remove(0);
    let (srv, _store) = start(&url).await;
    let a = srv.http_addr;
    for i in 0..20 {
        let fake = format!("10.0.0.{i}");
        assert_eq!(
            status(&login_as(a, &format!("u{i}"), "x", &[("X-Forwarded-For", &fake)]).await),
            401
        );
    }
    let r = login_as(a, "u99", "x", &[("X-Forwarded-For", "10.9.9.9")]).await;
    assert_eq!(status(&r), 429, "{r}");
    srv.shutdown().await.unwrap();
}

/// A new password ends the sessions and tokens made with the old one; a
/// disable ends them too, and enabling again revives neither.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_password_or_a_disable_ends_sessions_and_tokens() {
    for url in databases("credentials").await {
        let (srv, store) = start(&url).await;
        let a = srv.http_addr;
        let token = user_with_token(&store, "chen", "bureau", None).await;
        let bearer = format!("Bearer {token}");
        let cookie = session_cookie(&login_as(a, "chen", "a long password", &[]).await).unwrap();
        let me = |h: &'static str, v: String| async move {
            status(&http(a, "GET", "/api/v1/me", &[(h, &v)], "").await)
        };
        assert_eq!(me("Cookie", cookie.clone()).await, 200);
        assert_eq!(me("Authorization", bearer.clone()).await, 200);
        let hash = lantian_server::auth::hash_password("another long one").unwrap();
        assert!(
            store
                .set_password_hash("chen", &hash, "test")
                .await
                .unwrap()
        );
        assert_eq!(
            me("Cookie", cookie.clone()).await,
            401,
            "{url}: old session"
        );
        assert_eq!(
            me("Authorization", bearer.clone()).await,
            401,
            "{url}: old token"
        );
        // Disable, enable: the session of before the disable stays ended.
        let cookie = session_cookie(&login_as(a, "chen", "another long one", &[]).await).unwrap();
        assert_eq!(me("Cookie", cookie.clone()).await, 200);
        store.set_user_disabled("chen", true, "test").await.unwrap();
        assert_eq!(me("Cookie", cookie.clone()).await, 401);
        store
            .set_user_disabled("chen", false, "test")
            .await
            .unwrap();
        assert_eq!(
            me("Cookie", cookie.clone()).await,
            401,
            "{url}: revived by enable"
        );
        // One token revoked alone; the user's others go on.
        let t1 = lantian_server::auth::generate_token().unwrap();
        let t2 = lantian_server::auth::generate_token().unwrap();
        let id1 = store
            .add_token(
                "chen",
                &lantian_server::auth::token_hash(&t1),
                Some("one"),
                "test",
            )
            .await
            .unwrap();
        store
            .add_token(
                "chen",
                &lantian_server::auth::token_hash(&t2),
                Some("two"),
                "test",
            )
            .await
            .unwrap();
        assert_eq!(
            store.revoke_token(id1, "test").await.unwrap().as_deref(),
            Some("chen")
        );
        assert_eq!(me("Authorization", format!("Bearer {t1}")).await, 401);
        assert_eq!(me("Authorization", format!("Bearer {t2}")).await, 200);
        let listed = store.tokens("chen").await.unwrap().unwrap();
        assert_eq!(
            listed
                .iter()
                .map(|t| (t.label.as_deref(), t.revoked))
                .collect::<Vec<_>>(),
            [(None, true), (Some("one"), true), (Some("two"), false)]
        );
        srv.shutdown().await.unwrap();
    }
}

/// Connections that hold a place without asking anything are closed: one
/// that sends nothing, one that trickles half a header, and one kept alive
/// after its answer; the limit of 3 connections then has room again
/// (the attack that locked everyone out with 1,024 idle sockets).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slow_http_connections_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let url = databases("http_idle").await.remove(0);
    let (srv, _store) = start_with(&url, |c| {
        c.http_header_timeout_s = 1;
        c.http_idle_timeout_s = 30;
        c.http_max_connections = 3;
    })
    .await;
    let a = srv.http_addr;
    let silent = tokio::net::TcpStream::connect(a).await.unwrap();
    let mut half = tokio::net::TcpStream::connect(a).await.unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut kept = tokio::net::TcpStream::connect(a).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = kept.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    // Each is closed by the server (EOF or reset) within a few seconds.
    for (name, mut c) in [
        ("silent", silent),
        ("half a header", half),
        ("kept alive", kept),
    ] {
        let closed = tokio::time::timeout(std::time::Duration::from_secs(5), async {
            loop {
                match c.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "the {name} connection is still open");
    }
    assert_eq!(status(&http_get(a, "/healthz", None).await), 200);
    srv.shutdown().await.unwrap();
}
