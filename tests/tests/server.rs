//! `switchyard serve` as the OMS and an operator use it, over HTTP on a loopback port, on both
//! databases: the SQLite file in the data directory, and the PostgreSQL server on this machine
//! (each test in a schema of its own). Covered: tenants and keys, routing with reservations,
//! quoting, cancelling and shipping, scarce stock under concurrent routes, an order routed
//! twice, bad input as problem details, the Shopify webhook, plugins through the API, a plugin
//! directory hot-reloaded by the server, metrics, health and the OpenAPI document.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use switchyard_tests::server::{Database, OPERATOR, PgSchema, Server};

/// An order of one unit of each SKU to a ZIP code, by ground.
fn order(id: &str, zip: &str, skus: &[&str]) -> Value {
    json!({
        "id": id,
        "customer": {"id": "C-1"},
        "ship_to": {"zip": zip, "residential": true},
        "lines": skus.iter().map(|sku| json!({"sku": sku, "quantity": 1})).collect::<Vec<_>>(),
        "service_level": "ground",
        "placed_at": "2026-12-07T15:00:00Z",
    })
}

fn chicago(id: &str) -> Value {
    order(id, "60614", &["SKU-0095", "SKU-0116", "SKU-0139"])
}

/// Units reserved per (node, SKU), as the inventory route reports them.
fn reserved(server: &Server, key: &str) -> BTreeMap<(String, String), i64> {
    let reply = server.call("GET", "/v1/inventory", Some(key), &Value::Null);
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["positions"]
        .as_array()
        .expect("positions")
        .iter()
        .filter(|p| p["reserved"].as_i64() != Some(0))
        .map(|p| {
            (
                (
                    p["node"].as_str().unwrap().to_string(),
                    p["sku"].as_str().unwrap().to_string(),
                ),
                p["reserved"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Tenant A's key works for A only; no key, a wrong key or a rotated key gets 401; only the
/// operator token creates tenants.
fn keys_open_only_their_own_tenant(database: Database) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &database, &["--no-demo"]);
    let (a, _) = server.create_tenant("tenant-a");
    let (b, _) = server.create_tenant("tenant-b");
    server.load_example(&a);
    server.load_example(&b);

    let routed = server.call("POST", "/v1/orders", Some(&a), &chicago("A-1"));
    assert_eq!(routed.status, 201, "{}", routed.text);
    assert_eq!(
        server
            .call("GET", "/v1/orders/A-1", Some(&a), &Value::Null)
            .status,
        200
    );
    // B sees nothing of A's order, and cannot cancel it.
    assert_eq!(
        server
            .call("GET", "/v1/orders/A-1", Some(&b), &Value::Null)
            .status,
        404
    );
    assert_eq!(
        server
            .call("POST", "/v1/orders/A-1/cancel", Some(&b), &Value::Null)
            .status,
        404
    );
    assert!(reserved(&server, &b).is_empty(), "B's stock is untouched");
    assert!(!reserved(&server, &a).is_empty());

    // No key, a made-up key, the operator token on a tenant route, a tenant key on an operator
    // route: all refused.
    let no_key = server.call("GET", "/v1/inventory", None, &Value::Null);
    assert_eq!(no_key.status, 401);
    assert_eq!(no_key.content_type, "application/problem+json");
    assert_eq!(
        server
            .call("GET", "/v1/inventory", Some("sy_nope"), &Value::Null)
            .status,
        401
    );
    assert_eq!(
        server
            .call("GET", "/v1/inventory", Some(OPERATOR), &Value::Null)
            .status,
        401
    );
    let as_tenant = server.call("POST", "/v1/tenants", Some(&a), &json!({"id": "tenant-c"}));
    assert_eq!(as_tenant.status, 401);

    // Rotating A's key retires the old one at once.
    let rotated = server.call(
        "POST",
        "/v1/tenants/tenant-a/keys",
        Some(OPERATOR),
        &json!({}),
    );
    assert_eq!(rotated.status, 201, "{}", rotated.text);
    let new_key = rotated.body["api_key"].as_str().unwrap();
    assert_eq!(
        server
            .call("GET", "/v1/inventory", Some(&a), &Value::Null)
            .status,
        401
    );
    assert_eq!(
        server
            .call("GET", "/v1/orders/A-1", Some(new_key), &Value::Null)
            .status,
        200
    );

    // A tenant id is taken once.
    let again = server.call(
        "POST",
        "/v1/tenants",
        Some(OPERATOR),
        &json!({"id": "tenant-a"}),
    );
    assert_eq!(again.status, 409);
}

/// Quote, route, read, route again, cancel, route and ship: what each does to stock.
fn an_order_goes_from_quote_to_shipment(database: Database) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &database, &["--no-demo"]);
    let (key, _) = server.create_tenant("acme");
    server.load_example(&key);
    let before = reserved(&server, &key);
    assert!(before.is_empty());

    // A quote decides without reserving.
    let quote = server.call("POST", "/v1/quotes", Some(&key), &chicago("Q-1"));
    assert_eq!(quote.status, 200, "{}", quote.text);
    assert_eq!(quote.body["status"], "quoted");
    assert!(quote.body["decision"]["plan"]["shipments"].is_array());
    assert!(reserved(&server, &key).is_empty());
    assert_eq!(
        server
            .call("GET", "/v1/orders/Q-1", Some(&key), &Value::Null)
            .status,
        404
    );

    // Routing reserves what the plan ships, and the decision can be read back.
    let routed = server.call("POST", "/v1/orders", Some(&key), &chicago("SO-1"));
    assert_eq!(routed.status, 201, "{}", routed.text);
    assert_eq!(routed.body["status"], "routed");
    let holds: BTreeMap<(String, String), i64> = routed.body["reservations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                (
                    h["node"].as_str().unwrap().into(),
                    h["sku"].as_str().unwrap().into(),
                ),
                h["quantity"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(holds.values().sum::<i64>(), 3, "three lines of one unit");
    assert_eq!(reserved(&server, &key), holds);
    let read = server.call("GET", "/v1/orders/SO-1", Some(&key), &Value::Null);
    assert_eq!(read.body["decision"], routed.body["decision"]);
    assert!(
        read.body["decision"]["rationale"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
    );

    // The same order again: the first decision, nothing more reserved.
    let again = server.call("POST", "/v1/orders", Some(&key), &chicago("SO-1"));
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body["replayed"], true);
    assert_eq!(again.body["decision"], routed.body["decision"]);
    assert_eq!(reserved(&server, &key), holds);

    // Cancelling releases it; cancelling twice is a conflict.
    let cancelled = server.call("POST", "/v1/orders/SO-1/cancel", Some(&key), &Value::Null);
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    assert_eq!(cancelled.body["status"], "cancelled");
    assert!(reserved(&server, &key).is_empty());
    let twice = server.call("POST", "/v1/orders/SO-1/cancel", Some(&key), &Value::Null);
    assert_eq!(twice.status, 409);

    // Shipping takes the units out of on hand.
    let on_hand = |server: &Server| -> BTreeMap<(String, String), i64> {
        let reply = server.call("GET", "/v1/inventory", Some(&key), &Value::Null);
        reply.body["positions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    (
                        p["node"].as_str().unwrap().into(),
                        p["sku"].as_str().unwrap().into(),
                    ),
                    p["on_hand"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let stock_before = on_hand(&server);
    let routed = server.call("POST", "/v1/orders", Some(&key), &chicago("SO-2"));
    assert_eq!(routed.status, 201);
    let shipped = server.call("POST", "/v1/orders/SO-2/ship", Some(&key), &Value::Null);
    assert_eq!(shipped.status, 200, "{}", shipped.text);
    assert_eq!(shipped.body["status"], "shipped");
    assert!(reserved(&server, &key).is_empty());
    let stock_after = on_hand(&server);
    for hold in routed.body["reservations"].as_array().unwrap() {
        let at = (
            hold["node"].as_str().unwrap().to_string(),
            hold["sku"].as_str().unwrap().to_string(),
        );
        assert_eq!(
            stock_after[&at],
            stock_before[&at] - hold["quantity"].as_i64().unwrap()
        );
    }

    // Events: a receipt applies once per id.
    let receipt =
        json!({"id": "EV-1", "kind": "receipt", "node": "DC-NJ", "sku": "SKU-0095", "quantity": 5});
    let first = server.call("POST", "/v1/inventory/events", Some(&key), &receipt);
    assert_eq!(
        (first.status, first.body["applied"].clone()),
        (200, json!(true)),
        "{}",
        first.text
    );
    let second = server.call("POST", "/v1/inventory/events", Some(&key), &receipt);
    assert_eq!(second.body["applied"], false);
    let at = ("DC-NJ".to_string(), "SKU-0095".to_string());
    assert_eq!(on_hand(&server)[&at], stock_after[&at] + 5);

    // Picks and shipments name the order whose hold they act on.
    let routed = server.call("POST", "/v1/orders", Some(&key), &chicago("SO-3"));
    assert_eq!(routed.status, 201);
    let hold = &routed.body["reservations"][0];
    let at = (
        hold["node"].as_str().unwrap().to_string(),
        hold["sku"].as_str().unwrap().to_string(),
    );
    let event = |id: &str, kind: &str, quantity: i64| json!({"id": id, "kind": kind, "node": at.0, "sku": at.1, "quantity": quantity, "order_id": "SO-3"});
    let before = on_hand(&server)[&at];
    let picked = server.call(
        "POST",
        "/v1/inventory/events",
        Some(&key),
        &event("EV-2", "pick_confirm", 1),
    );
    assert_eq!(picked.body["applied"], true, "{}", picked.text);
    assert_eq!(
        on_hand(&server)[&at],
        before,
        "a pick moves nothing out of on hand"
    );
    let too_many = server.call(
        "POST",
        "/v1/inventory/events",
        Some(&key),
        &event("EV-3", "ship", 2),
    );
    assert_eq!(too_many.status, 422, "{}", too_many.text);
    let shipped = server.call(
        "POST",
        "/v1/inventory/events",
        Some(&key),
        &event("EV-4", "ship", 1),
    );
    assert_eq!(shipped.body["applied"], true, "{}", shipped.text);
    assert_eq!(on_hand(&server)[&at], before - 1);
    assert!(
        !reserved(&server, &key).contains_key(&at),
        "the shipped hold is closed"
    );
    let record = server.call("GET", "/v1/orders/SO-3", Some(&key), &Value::Null);
    assert_eq!(record.body["reservations"].as_array().unwrap().len(), 2);
}

/// Thirty orders race for five units: five are routed, the rest are unfulfillable, and the
/// store reserves exactly five.
fn scarce_stock_is_never_oversold(database: Database) {
    let dir = tempfile::tempdir().unwrap();
    let server = Arc::new(Server::start(dir.path(), &database, &["--no-demo"]));
    let (key, _) = server.create_tenant("acme");
    server.load_example(&key);
    let snapshot = json!({"positions": [
        {"node": "DC-OH", "sku": "SKU-0095", "on_hand": 3},
        {"node": "DC-NJ", "sku": "SKU-0095", "on_hand": 3, "safety_stock": 1},
    ]});
    assert_eq!(
        server
            .call("PUT", "/v1/inventory", Some(&key), &snapshot)
            .status,
        200
    );

    let threads: Vec<_> = (0..30)
        .map(|at| {
            let (server, key) = (server.clone(), key.clone());
            std::thread::spawn(move || {
                let body = order(&format!("RACE-{at}"), "60614", &["SKU-0095"]);
                let reply = server.call("POST", "/v1/orders", Some(&key), &body);
                (
                    reply.status,
                    reply.body["status"].as_str().unwrap_or("").to_string(),
                )
            })
        })
        .collect();
    let outcomes: Vec<(u16, String)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let routed = outcomes.iter().filter(|(status, _)| *status == 201).count();
    let unfulfillable = outcomes
        .iter()
        .filter(|(_, s)| s == "unfulfillable")
        .count();
    assert_eq!(routed, 5, "{outcomes:?}");
    assert_eq!(unfulfillable, 25, "{outcomes:?}");
    assert_eq!(reserved(&server, &key).values().sum::<i64>(), 5);
}

/// The same order id sent eight times at once is decided and reserved once.
fn an_order_sent_many_times_at_once_reserves_once(database: Database) {
    let dir = tempfile::tempdir().unwrap();
    let server = Arc::new(Server::start(dir.path(), &database, &["--no-demo"]));
    let (key, _) = server.create_tenant("acme");
    server.load_example(&key);
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (server, key) = (server.clone(), key.clone());
            std::thread::spawn(move || {
                let reply = server.call("POST", "/v1/orders", Some(&key), &chicago("TWICE-1"));
                (reply.status, reply.body["decision"].clone())
            })
        })
        .collect();
    let replies: Vec<(u16, Value)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(
        replies.iter().filter(|(status, _)| *status == 201).count(),
        1
    );
    assert_eq!(
        replies.iter().filter(|(status, _)| *status == 200).count(),
        7
    );
    assert!(
        replies
            .iter()
            .all(|(_, decision)| *decision == replies[0].1)
    );
    assert_eq!(reserved(&server, &key).values().sum::<i64>(), 3);
}

/// Bad requests are 4xx problem details that name what is wrong and where.
fn bad_input_is_a_4xx_problem(database: Database) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &database, &["--no-demo"]);
    let (key, _) = server.create_tenant("acme");

    // Routing before a network exists.
    let early = server.call("POST", "/v1/orders", Some(&key), &chicago("E-1"));
    assert_eq!(early.status, 409, "{}", early.text);
    server.load_example(&key);

    let send = |method: &str, path: &str, body: &str| {
        server.send(
            method,
            path,
            Some(&key),
            "application/json",
            body.as_bytes().to_vec(),
            &[],
        )
    };
    let cases: Vec<(&str, &str, String, u16, Option<&str>)> = vec![
        ("POST", "/v1/orders", "{not json".into(), 400, None),
        ("POST", "/v1/orders", "".into(), 400, None),
        ("POST", "/v1/orders", r#"{"id": 5}"#.into(), 422, Some("id")),
        ("POST", "/v1/orders", {
            let mut o = chicago("E-2");
            o["lines"][1]["quantity"] = json!(-1);
            o.to_string()
        }, 422, Some("lines[1].quantity")),
        ("POST", "/v1/orders", order("E-3", "60614", &["NOPE-1"]).to_string(), 422, Some("lines[0].sku")),
        ("POST", "/v1/orders", order("E-4", "00000", &["SKU-0095"]).to_string(), 422, Some("ship_to.zip")),
        ("POST", "/v1/orders", {
            let mut o = chicago("E-5");
            o["surprise"] = json!(1);
            o.to_string()
        }, 422, None),
        ("PUT", "/v1/inventory", r#"{"positions": [{"node": "MOON", "sku": "SKU-0095", "on_hand": 1}]}"#.into(), 422, Some("positions[0].node")),
        ("POST", "/v1/inventory/events", r#"{"id": "X", "kind": "ship", "node": "DC-NJ", "sku": "SKU-0095", "quantity": 1}"#.into(), 422, None),
        ("POST", "/v1/inventory/events", r#"{"id": "X", "kind": "teleport", "node": "DC-NJ", "sku": "SKU-0095", "quantity": 1}"#.into(), 422, Some("kind")),
        ("PUT", "/v1/network", r#"{"nodes": [], "skus": [], "services": [], "policy": {"default": {"max_shipments": "three"}}}"#.into(), 422, Some("policy.default.max_shipments")),
        ("GET", "/v1/nowhere", "".into(), 404, None),
        ("POST", "/v1/plugins/activate", r#"{"plugins": [{"name": "ghost"}]}"#.into(), 422, Some("plugins[0]")),
    ];
    for (method, path, body, status, field) in cases {
        let reply = send(method, path, &body);
        assert_eq!(
            reply.status, status,
            "{method} {path} {body}: {}",
            reply.text
        );
        assert_eq!(
            reply.content_type, "application/problem+json",
            "{method} {path}"
        );
        assert_eq!(reply.body["status"], status);
        assert!(
            reply.body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{}",
            reply.text
        );
        if let Some(field) = field {
            assert_eq!(
                reply.body["field"], field,
                "{method} {path} {body}: {}",
                reply.text
            );
        }
    }

    // A body over the limit is refused. (Sent by hand, the body from a thread of its own: the
    // server answers before it has read it all and closes the connection, which an ordinary
    // client writing the whole body first may report as a broken pipe.)
    let address = server.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let size = 2 * 1024 * 1024;
    write!(
        stream,
        "POST /v1/orders HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n"
    )
    .unwrap();
    let mut writer = stream.try_clone().unwrap();
    std::thread::spawn(move || {
        let _ = writer.write_all(&vec![b' '; size]);
    });
    let mut head = [0u8; 512];
    let read = stream.read(&mut head).unwrap();
    let head = String::from_utf8_lossy(&head[..read]);
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(head.contains("application/problem+json"), "{head}");

    // A plugin upload that is not a plugin.
    let garbage = server.send(
        "PUT",
        "/v1/plugins/junk",
        Some(&key),
        "application/wasm",
        b"\0asm junk".to_vec(),
        &[],
    );
    assert_eq!(garbage.status, 422, "{}", garbage.text);
    assert!(garbage.body["detail"].as_str().unwrap().contains("junk"));

    // Nothing bad was stored, the orders that could not be routed were counted, and the
    // server still routes.
    assert!(reserved(&server, &key).is_empty());
    let metrics = server.call("GET", "/metrics", None, &Value::Null).text;
    assert!(
        metrics.contains(r#"switchyard_decisions_total{tenant="acme",outcome="invalid"} 2"#),
        "{metrics}"
    );
    assert_eq!(
        server
            .call("POST", "/v1/orders", Some(&key), &chicago("E-7"))
            .status,
        201
    );
}

/// Shopify's `orders/create`: a signed body is routed; a wrong or missing signature is refused
/// and changes nothing.
fn the_shopify_webhook_checks_its_signature(database: Database) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &database, &["--no-demo"]);
    let (key, secret) = server.create_tenant("shop");
    server.load_example(&key);
    let payload = json!({
        "id": 820982911946154508u64,
        "name": "#1001",
        "created_at": "2026-12-07T10:00:00-05:00",
        "customer": {"id": 115310627314723954u64, "tags": "newsletter, VIP"},
        "shipping_address": {"zip": "60614", "country_code": "US"},
        "line_items": [{"sku": "SKU-0095", "quantity": 1}, {"sku": "SKU-0116", "quantity": 1}],
        "shipping_lines": [{"title": "Standard Shipping", "code": "standard"}],
    })
    .to_string();
    let sign = |secret: &str| {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(payload.as_bytes());
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    };
    let path = "/v1/webhooks/shopify/shop/orders-create";
    let post = |signature: Option<&str>| {
        let headers: Vec<(&str, &str)> = signature
            .map(|s| vec![("x-shopify-hmac-sha256", s)])
            .unwrap_or_default();
        server.send(
            "POST",
            path,
            None,
            "application/json",
            payload.as_bytes().to_vec(),
            &headers,
        )
    };

    assert_eq!(post(None).status, 401);
    assert_eq!(post(Some(&sign("whsec_wrong"))).status, 401);
    assert_eq!(post(Some("not base64 at all!")).status, 401);
    assert!(reserved(&server, &key).is_empty());

    let good = post(Some(&sign(&secret)));
    assert_eq!(good.status, 201, "{}", good.text);
    assert_eq!(good.body["order_id"], "shopify-820982911946154508");
    let units: i64 = good.body["reservations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["quantity"].as_i64().unwrap())
        .sum();
    assert_eq!(units, 2);
    // Shopify retries deliveries; a retry reserves nothing more.
    let retry = post(Some(&sign(&secret)));
    assert_eq!(
        (retry.status, retry.body["replayed"].clone()),
        (200, json!(true))
    );
    assert_eq!(reserved(&server, &key).values().sum::<i64>(), 2);
}

/// `/healthz`, `/readyz`, `/metrics` after some traffic, and an OpenAPI document that lists
/// every route the server answers.
fn health_metrics_and_openapi(database: Database) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &database, &["--no-demo"]);
    assert_eq!(
        server.call("GET", "/healthz", None, &Value::Null).status,
        200
    );
    assert_eq!(
        server.call("GET", "/readyz", None, &Value::Null).status,
        200
    );
    let (key, _) = server.create_tenant("acme");
    server.load_example(&key);
    assert_eq!(
        server
            .call("POST", "/v1/orders", Some(&key), &chicago("M-1"))
            .status,
        201
    );
    assert_eq!(
        server
            .call("POST", "/v1/orders", Some(&key), &chicago("M-1"))
            .status,
        200
    );

    let metrics = server.call("GET", "/metrics", None, &Value::Null).text;
    for wanted in [
        r#"switchyard_decisions_total{tenant="acme",outcome="routed"} 1"#,
        r#"switchyard_decisions_total{tenant="acme",outcome="replayed"} 1"#,
        r#"switchyard_reservations_total{tenant="acme",outcome="stored"} 1"#,
        r#"switchyard_reserved_units_total{tenant="acme"} 3"#,
        "switchyard_decision_duration_seconds_bucket",
        r#"switchyard_http_requests_total{method="POST",route="/v1/orders",status="201"} 1"#,
    ] {
        assert!(
            metrics.contains(wanted),
            "missing `{wanted}` in:\n{metrics}"
        );
    }

    let openapi = server.call("GET", "/openapi.json", None, &Value::Null);
    assert_eq!(openapi.status, 200);
    let paths: BTreeSet<String> = openapi.body["paths"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    for path in [
        "/v1/tenants",
        "/v1/tenants/{tenant_id}/keys",
        "/v1/network",
        "/v1/inventory",
        "/v1/inventory/events",
        "/v1/orders",
        "/v1/quotes",
        "/v1/orders/{order_id}",
        "/v1/orders/{order_id}/cancel",
        "/v1/orders/{order_id}/ship",
        "/v1/plugins",
        "/v1/plugins/{name}",
        "/v1/plugins/activate",
        "/v1/plugins/rollback",
        "/v1/webhooks/shopify/{tenant_id}/orders-create",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(
            paths.contains(path),
            "{path} is not in the OpenAPI document: {paths:?}"
        );
    }
    // And every documented path is a route: none answers with the no-such-route problem.
    for path in &paths {
        let concrete = path
            .replace("{tenant_id}", "acme")
            .replace("{order_id}", "M-1")
            .replace("{name}", "x");
        let reply = server.call("GET", &concrete, Some(&key), &Value::Null);
        let unknown = reply.status == 404
            && reply.body["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with("no such route"));
        assert!(!unknown, "{path} is documented but not routed");
    }
}

/// The store's view after a crash: every acknowledged decision is there, every reservation
/// belongs to a decision, and reserved stock is the sum of the reservations.
async fn check_consistency(url: &str, acknowledged: &[String]) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .expect("the database opens after the crash");
    use sqlx::Row;
    for order_id in acknowledged {
        let row =
            sqlx::query("SELECT status FROM decisions WHERE tenant_id = 'acme' AND order_id = $1")
                .bind(order_id)
                .fetch_optional(&pool)
                .await
                .unwrap();
        assert!(row.is_some(), "acknowledged order {order_id} was lost");
    }
    let orphans: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM reservations r LEFT JOIN decisions d \
         ON d.tenant_id = r.tenant_id AND d.order_id = r.order_id WHERE d.order_id IS NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap()
    .get("n");
    assert_eq!(orphans, 0, "reservations without their decision");
    let mismatched: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM inventory i WHERE i.reserved <> COALESCE((SELECT SUM(r.quantity) \
         FROM reservations r WHERE r.tenant_id = i.tenant_id AND r.node = i.node AND r.sku = i.sku), 0)",
    )
    .fetch_one(&pool)
    .await
    .unwrap()
    .get("n");
    assert_eq!(
        mismatched, 0,
        "reserved stock that no reservation accounts for"
    );
    pool.close().await;
}

/// SIGKILL during a stream of routes: after a restart on the same database, no acknowledged
/// decision is missing and no reservation is without its decision.
fn a_crash_loses_no_acknowledged_decision(database: Database) {
    let dir = tempfile::tempdir().unwrap();
    let server = Arc::new(Server::start(dir.path(), &database, &["--no-demo"]));
    let (key, _) = server.create_tenant("acme");
    server.load_example(&key);

    // Four clients route orders until the server dies under them.
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::new()));
    let clients: Vec<_> = (0..4)
        .map(|client| {
            let (server, key, acknowledged) = (server.clone(), key.clone(), acknowledged.clone());
            std::thread::spawn(move || {
                for at in 0.. {
                    let id = format!("CRASH-{client}-{at}");
                    let body = order(&id, "60614", &["SKU-0095"]);
                    let bytes = serde_json::to_vec(&body).unwrap();
                    match server.try_send(
                        "POST",
                        "/v1/orders",
                        Some(&key),
                        "application/json",
                        bytes,
                        &[],
                    ) {
                        Ok(reply) if reply.status == 201 => acknowledged.lock().unwrap().push(id),
                        Ok(_) => {}
                        // The server is gone.
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    let started = Instant::now();
    while acknowledged.lock().unwrap().len() < 50 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill();
    for client in clients {
        let _ = client.join();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 50,
        "only {} orders were routed",
        acknowledged.len()
    );

    // Restart on the same data and check.
    let restarted = Server::start(dir.path(), &database, &["--no-demo"]);
    for id in acknowledged.iter().step_by(7) {
        let reply = restarted.call("GET", &format!("/v1/orders/{id}"), Some(&key), &Value::Null);
        assert_eq!(
            (reply.status, reply.body["status"].clone()),
            (200, json!("routed")),
            "{id}"
        );
    }
    let url = match &database {
        Database::Sqlite => format!("sqlite://{}", dir.path().join("switchyard.db").display()),
        Database::Postgres(url) => url.clone(),
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(check_consistency(&url, &acknowledged));
}

macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name(switchyard_tests::server::Database::Sqlite);
                }
            )*
        }

        mod postgres {
            $(
                #[test]
                fn $name() {
                    let schema = switchyard_tests::server::PgSchema::blocking();
                    super::$name(switchyard_tests::server::Database::Postgres(schema.url.clone()));
                }
            )*
        }
    };
}

on_both_databases!(
    keys_open_only_their_own_tenant,
    an_order_goes_from_quote_to_shipment,
    scarce_stock_is_never_oversold,
    an_order_sent_many_times_at_once_reserves_once,
    bad_input_is_a_4xx_problem,
    the_shopify_webhook_checks_its_signature,
    health_metrics_and_openapi,
    a_crash_loses_no_acknowledged_decision,
);

/// The decision for the Miami shampoo order: which node ships it, and the plugins that ran.
fn miami(server: &Server, key: &str, id: &str) -> (String, Vec<String>) {
    let mut body: Value = serde_json::from_str(
        &std::fs::read_to_string(switchyard_tests::acme().join("orders/miami-shampoo.json"))
            .unwrap(),
    )
    .unwrap();
    body["id"] = json!(id);
    let reply = server.call("POST", "/v1/quotes", Some(key), &body);
    assert_eq!(reply.status, 200, "{}", reply.text);
    let node = reply.body["decision"]["plan"]["shipments"][0]["node"]
        .as_str()
        .unwrap()
        .to_string();
    let plugins = reply.body["decision"]["plugins"]
        .as_array()
        .map(|runs| {
            runs.iter()
                .map(|run| run["plugin"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    (node, plugins)
}

/// Waits up to 10 s for `check` to hold.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{what} did not happen within 10 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Two replicas on one PostgreSQL database: a plugin uploaded and activated through one is live
/// on the other within seconds, and so is its rollback.
#[test]
fn a_plugin_activated_on_one_replica_is_live_on_every_replica() {
    let schema = PgSchema::blocking();
    let database = Database::Postgres(schema.url.clone());
    let (one_dir, two_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let one = Server::start(one_dir.path(), &database, &["--no-demo"]);
    let two = Server::start(two_dir.path(), &database, &["--no-demo"]);
    let (key, _) = one.create_tenant("acme");
    one.load_example(&key);
    assert_eq!(
        miami(&two, &key, "P-0").0,
        "STORE-MIA",
        "without the plugin"
    );

    // Upload and activate through replica one.
    let wasm = switchyard_tests::plugin_bytes("no-hazmat-from-stores");
    let uploaded = one.send(
        "PUT",
        "/v1/plugins/no-hazmat-from-stores",
        Some(&key),
        "application/wasm",
        wasm,
        &[],
    );
    assert_eq!(uploaded.status, 201, "{}", uploaded.text);
    assert_eq!(uploaded.body["kind"], "constraint");
    let version = uploaded.body["version"].as_str().unwrap().to_string();
    let activation =
        json!({"plugins": [{"name": "no-hazmat-from-stores", "config": {"tags": ["beauty"]}}]});
    let activated = one.call("POST", "/v1/plugins/activate", Some(&key), &activation);
    assert_eq!(activated.status, 200, "{}", activated.text);
    assert_eq!(
        activated.body["active"]["plugins"][0]["version"],
        json!(version)
    );
    assert_eq!(
        activated.body["status"][0]["state"], "active",
        "{}",
        activated.text
    );
    assert_eq!(
        miami(&one, &key, "P-1"),
        ("DC-OH".into(), vec!["no-hazmat-from-stores".into()])
    );

    // Replica two picks it up by itself.
    eventually("the plugin going live on replica two", || {
        miami(&two, &key, "P-2").0 == "DC-OH"
    });
    let listed = two.call("GET", "/v1/plugins", Some(&key), &Value::Null);
    assert_eq!(
        listed.body["status"][0]["version"],
        json!(version),
        "{}",
        listed.text
    );

    // Rolling back through replica two returns both to no plugins.
    let rolled = two.call("POST", "/v1/plugins/rollback", Some(&key), &Value::Null);
    assert_eq!(rolled.status, 200, "{}", rolled.text);
    assert!(rolled.body["active"].is_null());
    assert_eq!(miami(&two, &key, "P-3").0, "STORE-MIA");
    eventually("the rollback reaching replica one", || {
        miami(&one, &key, "P-4").0 == "STORE-MIA"
    });
    let nothing = one.call("POST", "/v1/plugins/rollback", Some(&key), &Value::Null);
    assert_eq!(nothing.status, 422);
}

/// `serve --plugins demo=DIR`: the demo tenant runs the directory's plugins, and a plugin
/// written into the directory while the server runs goes live without a restart.
#[test]
fn serve_hot_reloads_a_tenant_plugin_directory() {
    let data = tempfile::tempdir().unwrap();
    let plugins = switchyard_tests::plugin_dir(&[], &json!({"plugins": []}));
    let argument = format!("demo={}", plugins.path().display());
    let server = Server::start(data.path(), &Database::Sqlite, &["--plugins", &argument]);
    let key = std::fs::read_to_string(data.path().join("demo-key"))
        .unwrap()
        .trim()
        .to_string();
    // The demo tenant routes the example orders out of the box.
    let first = server.call("POST", "/v1/orders", Some(&key), &chicago("DEMO-1"));
    assert_eq!(first.status, 201, "{}", first.text);

    assert_eq!(miami(&server, &key, "DEMO-2").0, "STORE-MIA");

    // A plugin and a manifest naming it, written while the server runs.
    std::fs::write(
        plugins.path().join("rule.wasm"),
        switchyard_tests::plugin_bytes("no-hazmat-from-stores"),
    )
    .unwrap();
    let manifest = json!({"plugins": [{"name": "no-hazmat-from-stores", "file": "rule.wasm", "config": {"tags": ["beauty"]}}]});
    std::fs::write(plugins.path().join("plugins.json"), manifest.to_string()).unwrap();
    eventually("the written plugin going live", || {
        miami(&server, &key, "DEMO-3").0 == "DC-OH"
    });
    // The API does not manage a directory's plugins.
    let upload = server.send(
        "PUT",
        "/v1/plugins/x",
        Some(&key),
        "application/wasm",
        vec![0],
        &[],
    );
    assert_eq!(upload.status, 409);
}
