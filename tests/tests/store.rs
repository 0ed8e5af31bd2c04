//! The durable store on both databases it supports: an embedded SQLite file, and the
//! PostgreSQL server on this machine (`SWITCHYARD_TEST_POSTGRES`, by default
//! `postgres://postgres@127.0.0.1:5432/test`), each test in a schema of its own. Concurrent
//! decisions for scarce stock never reserve more than there is; an order decided twice reserves
//! once; events apply once; keys map to their tenant only.

use std::sync::Arc;

use switchyard::store::{Backend, Commit, Event, EventKind, Hold, Position, Store};
use switchyard_tests::server::PgSchema;

/// A fresh SQLite store in a temporary directory.
async fn sqlite() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("switchyard.db").display());
    let store = Store::open(&url).await.expect("the SQLite store opens");
    assert_eq!(store.backend(), Backend::Sqlite);
    (store, dir)
}

/// A fresh PostgreSQL store in a schema of its own on the local server, so tests never see
/// each other's rows. The schema is dropped with the returned value.
async fn postgres() -> (Store, PgSchema) {
    let schema = PgSchema::new().await;
    let store = Store::open(&schema.url)
        .await
        .expect("the PostgreSQL store opens");
    assert_eq!(store.backend(), Backend::Postgres);
    (store, schema)
}

fn position(node: &str, sku: &str, on_hand: i64, safety_stock: i64) -> Position {
    Position {
        node: node.into(),
        sku: sku.into(),
        on_hand,
        reserved: 0,
        safety_stock,
    }
}

/// Creates the tenant `acme` with these positions.
async fn stocked(store: &Store, positions: &[Position]) {
    store.create_tenant("acme", "Acme").await.unwrap();
    store.replace_inventory("acme", positions).await.unwrap();
}

fn hold(node: &str, sku: &str, quantity: i64) -> Hold {
    Hold {
        node: node.into(),
        sku: sku.into(),
        quantity,
    }
}

/// Forty decisions race for one unit each of a SKU with 7 available: exactly 7 are stored, and
/// the database says 7 are reserved.
async fn scarce_stock_is_never_over_reserved(store: Store) {
    store.create_tenant("acme", "Acme").await.unwrap();
    store
        .replace_inventory("acme", &[position("DC-NJ", "SKU-1", 10, 3)])
        .await
        .unwrap();
    let store = Arc::new(store);
    let mut tasks = Vec::new();
    for at in 0..40 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let order = format!("SO-{at}");
            store
                .commit_decision("acme", &order, "{}", &[hold("DC-NJ", "SKU-1", 1)])
                .await
                .unwrap()
        }));
    }
    let mut stored = 0;
    for task in tasks {
        match task.await.unwrap() {
            Commit::Stored => stored += 1,
            Commit::Short { available, .. } => assert_eq!(available, 0),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(stored, 7);
    let stock = store.inventory("acme").await.unwrap();
    assert_eq!(stock[0].reserved, 7);
    assert_eq!(stock[0].available(), 0);
}

/// The same order routed twice, even at once, keeps the first decision and reserves once; a
/// cancel gives the units back, once.
async fn an_order_decided_twice_reserves_once(store: Store) {
    store.create_tenant("acme", "Acme").await.unwrap();
    store
        .replace_inventory("acme", &[position("DC-OH", "SKU-2", 5, 0)])
        .await
        .unwrap();
    let holds = [hold("DC-OH", "SKU-2", 2)];
    let (first, second) = tokio::join!(
        store.commit_decision("acme", "SO-1", r#"{"try": 1}"#, &holds),
        store.commit_decision("acme", "SO-1", r#"{"try": 2}"#, &holds),
    );
    let outcomes = [first.unwrap(), second.unwrap()];
    assert_eq!(outcomes.iter().filter(|c| **c == Commit::Stored).count(), 1);
    let kept = store.decision("acme", "SO-1").await.unwrap().unwrap();
    let again = outcomes
        .iter()
        .find(|c| **c != Commit::Stored)
        .unwrap()
        .clone();
    assert_eq!(
        again,
        Commit::AlreadyDecided {
            decision: kept.decision.clone()
        }
    );
    assert_eq!(store.inventory("acme").await.unwrap()[0].reserved, 2);
    assert_eq!(store.holds("acme", "SO-1").await.unwrap(), holds);

    assert!(store.cancel("acme", "SO-1").await.unwrap());
    assert!(!store.cancel("acme", "SO-1").await.unwrap());
    assert_eq!(store.inventory("acme").await.unwrap()[0].reserved, 0);
    assert_eq!(
        store
            .decision("acme", "SO-1")
            .await
            .unwrap()
            .unwrap()
            .status,
        "cancelled"
    );
}

/// A decision whose second hold no longer fits stores nothing, not even its first hold.
async fn a_decision_is_stored_whole_or_not_at_all(store: Store) {
    stocked(
        &store,
        &[
            position("DC-NJ", "SKU-1", 5, 0),
            position("DC-TX", "SKU-2", 1, 0),
        ],
    )
    .await;
    let holds = [hold("DC-NJ", "SKU-1", 1), hold("DC-TX", "SKU-2", 2)];
    let outcome = store
        .commit_decision("acme", "SO-9", "{}", &holds)
        .await
        .unwrap();
    assert_eq!(
        outcome,
        Commit::Short {
            hold: hold("DC-TX", "SKU-2", 2),
            available: 1
        }
    );
    assert_eq!(store.decision("acme", "SO-9").await.unwrap(), None);
    assert!(
        store
            .inventory("acme")
            .await
            .unwrap()
            .iter()
            .all(|p| p.reserved == 0)
    );

    // A hold of no units, or of minus some, would give stock back: it is refused whole.
    let error = store
        .commit_decision("acme", "SO-10", "{}", &[hold("DC-NJ", "SKU-1", -2)])
        .await
        .unwrap_err();
    assert!(error.to_string().contains("at least one unit"), "{error}");
    assert_eq!(store.decision("acme", "SO-10").await.unwrap(), None);
}

/// Events apply once by id; an adjustment below what is reserved is refused and not recorded.
async fn inventory_events_apply_once(store: Store) {
    store.create_tenant("acme", "Acme").await.unwrap();
    let receipt = |id: &'static str| {
        let store = store.clone();
        async move {
            store
                .apply_event("acme", &event(id, EventKind::Receipt, "DC-GA", "SKU-3", 4))
                .await
                .unwrap()
        }
    };
    assert!(receipt("EV-1").await);
    assert!(!receipt("EV-1").await);
    assert_eq!(store.inventory("acme").await.unwrap()[0].on_hand, 4);

    store
        .commit_decision("acme", "SO-1", "{}", &[hold("DC-GA", "SKU-3", 3)])
        .await
        .unwrap();
    let refused = store
        .apply_event(
            "acme",
            &event("EV-2", EventKind::Adjustment, "DC-GA", "SKU-3", -2),
        )
        .await;
    assert!(refused.is_err());
    let allowed = store
        .apply_event(
            "acme",
            &event("EV-2", EventKind::Adjustment, "DC-GA", "SKU-3", -1),
        )
        .await;
    assert!(allowed.unwrap(), "the refused event was not recorded");
    assert_eq!(store.inventory("acme").await.unwrap()[0].on_hand, 3);
}

/// A key opens its own tenant only, and a rotated key opens nothing.
async fn keys_belong_to_one_tenant(store: Store) {
    store.create_tenant("acme", "Acme").await.unwrap();
    store.create_tenant("globex", "Globex").await.unwrap();
    store.add_key("acme", "acme-key-1", false).await.unwrap();
    store
        .add_key("globex", "globex-key-1", false)
        .await
        .unwrap();
    assert_eq!(
        store.tenant_for_key("acme-key-1").await.unwrap().as_deref(),
        Some("acme")
    );
    assert_eq!(store.tenant_for_key("nope").await.unwrap(), None);

    store.add_key("acme", "acme-key-2", true).await.unwrap();
    assert_eq!(store.tenant_for_key("acme-key-1").await.unwrap(), None);
    assert_eq!(
        store.tenant_for_key("acme-key-2").await.unwrap().as_deref(),
        Some("acme")
    );
    assert_eq!(
        store
            .tenant_for_key("globex-key-1")
            .await
            .unwrap()
            .as_deref(),
        Some("globex")
    );
    assert!(store.add_key("initech", "k", false).await.is_err());
    assert!(store.create_tenant("bad id!", "x").await.is_err());
}

/// Every stored decision counts one shipment today at each node it ships from, however the
/// count is spread over rows; a replayed or short decision counts nothing.
async fn decisions_count_shipments_per_node(store: Store) {
    stocked(
        &store,
        &[
            position("DC-NJ", "SKU-1", 50, 0),
            position("DC-TX", "SKU-2", 50, 0),
        ],
    )
    .await;
    for at in 0..12 {
        let holds = [hold("DC-NJ", "SKU-1", 1), hold("DC-TX", "SKU-2", 1)];
        let holds = if at % 3 == 0 { &holds[..] } else { &holds[..1] };
        let outcome = store
            .commit_decision("acme", &format!("SO-{at}"), "{}", holds)
            .await
            .unwrap();
        assert_eq!(outcome, Commit::Stored);
    }
    let replayed = store
        .commit_decision("acme", "SO-0", "{}", &[hold("DC-NJ", "SKU-1", 1)])
        .await
        .unwrap();
    assert!(matches!(replayed, Commit::AlreadyDecided { .. }));
    let short = store
        .commit_decision("acme", "SO-99", "{}", &[hold("DC-TX", "SKU-2", 999)])
        .await
        .unwrap();
    assert!(matches!(short, Commit::Short { .. }));

    let day = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let mut load = store.node_load("acme", &day).await.unwrap();
    load.sort();
    assert_eq!(
        load,
        vec![("DC-NJ".to_string(), 12), ("DC-TX".to_string(), 4)]
    );
}

/// Decisions committed together, some of which come up short on their second hold after the
/// first one fitted, and each sent twice: the short ones undo their first hold without
/// disturbing the others in the same transaction, and each order reserves at most once.
async fn short_decisions_in_a_batch_undo_only_themselves(store: Store) {
    stocked(
        &store,
        &[
            position("DC-NJ", "SKU-1", 100, 0),
            position("DC-TX", "SKU-2", 5, 0),
        ],
    )
    .await;
    let store = Arc::new(store);
    let mut tasks = Vec::new();
    for at in 0..40 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let order = format!("SO-{}", at % 20);
            let holds = [hold("DC-NJ", "SKU-1", 1), hold("DC-TX", "SKU-2", 1)];
            let outcome = store
                .commit_decision("acme", &order, "{}", &holds)
                .await
                .unwrap();
            (order, outcome)
        }));
    }
    let mut stored = std::collections::BTreeSet::new();
    for task in tasks {
        let (order, outcome) = task.await.unwrap();
        match outcome {
            Commit::Stored => assert!(stored.insert(order), "stored twice"),
            Commit::Short { hold: short, .. } => assert_eq!(short.sku, "SKU-2"),
            Commit::AlreadyDecided { .. } => {}
        }
    }
    assert_eq!(stored.len(), 5, "{stored:?}");
    let stock = store.inventory("acme").await.unwrap();
    assert_eq!(
        stock.iter().map(|p| p.reserved).collect::<Vec<_>>(),
        vec![5, 5]
    );
    for at in 0..20 {
        let order = format!("SO-{at}");
        let holds = store.holds("acme", &order).await.unwrap();
        let decided = store.decision("acme", &order).await.unwrap().is_some();
        assert_eq!(decided, stored.contains(&order), "{order}");
        assert_eq!(holds.len(), if decided { 2 } else { 0 }, "{order}");
    }

    // Two holds on one position are one reservation of their sum.
    let twice = [hold("DC-NJ", "SKU-1", 2), hold("DC-NJ", "SKU-1", 3)];
    let outcome = store
        .commit_decision("acme", "SO-TWICE", "{}", &twice)
        .await
        .unwrap();
    assert_eq!(outcome, Commit::Stored);
    assert_eq!(
        store.holds("acme", "SO-TWICE").await.unwrap(),
        vec![hold("DC-NJ", "SKU-1", 5)]
    );
}

/// A PostgreSQL restart, or an operator ending a backend, cuts the connection a writer keeps:
/// the next batch reconnects and is stored, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_whose_connection_is_cut_reconnects() {
    let schema = PgSchema::new().await;
    // Names the store's connections, so that only they are ended.
    let name = format!("cut-{}", std::process::id());
    let store = Store::open(&format!("{}&application_name={name}", schema.url))
        .await
        .unwrap();
    stocked(&store, &[position("DC-NJ", "SKU-1", 10, 0)]).await;
    let holds = [hold("DC-NJ", "SKU-1", 1)];
    // The writers take turns, so after two decisions, one after the other, each holds a
    // connection.
    for order in ["SO-1", "SO-2"] {
        let outcome = store.commit_decision("acme", order, "{}", &holds).await;
        assert_eq!(outcome.unwrap(), Commit::Stored);
    }

    let admin = sqlx::PgPool::connect(schema.url.split('?').next().unwrap())
        .await
        .unwrap();
    let ended: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
    )
    .bind(&name)
    .fetch_all(&admin)
    .await
    .unwrap();
    assert!(!ended.is_empty() && ended.iter().all(|ended| *ended));

    for order in ["SO-3", "SO-4"] {
        let outcome = store.commit_decision("acme", order, "{}", &holds).await;
        assert_eq!(outcome.unwrap(), Commit::Stored, "{order}");
        assert_eq!(store.holds("acme", order).await.unwrap(), holds);
    }
    assert_eq!(store.inventory("acme").await.unwrap()[0].reserved, 4);
}

/// Two replicas on one PostgreSQL database race for scarce stock: together they reserve exactly
/// the 10 units available, and the database agrees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_never_over_reserve_between_them() {
    let schema = PgSchema::new().await;
    let first = Store::open(&schema.url).await.unwrap();
    let second = Store::open(&schema.url).await.unwrap();
    stocked(&first, &[position("DC-NJ", "SKU-1", 12, 2)]).await;
    let replicas = [Arc::new(first), Arc::new(second)];
    let mut tasks = Vec::new();
    for at in 0..60 {
        let store = replicas[at % 2].clone();
        tasks.push(tokio::spawn(async move {
            // Some orders hold two units, so a batch can fit partly.
            let quantity = 1 + (at % 3 == 0) as i64;
            let order = format!("SO-{at}");
            let holds = [hold("DC-NJ", "SKU-1", quantity)];
            let outcome = store.commit_decision("acme", &order, "{}", &holds).await;
            (quantity, outcome.unwrap())
        }));
    }
    let mut reserved = 0;
    for task in tasks {
        match task.await.unwrap() {
            (quantity, Commit::Stored) => reserved += quantity,
            (_, Commit::Short { .. }) => {}
            (_, other) => panic!("unexpected {other:?}"),
        }
    }
    // Forty orders want one unit, so the last unit always finds a taker.
    assert_eq!(reserved, 10);
    let stock = replicas[1].inventory("acme").await.unwrap();
    assert_eq!(stock[0].reserved, reserved);
}

macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (store, _dir) = super::sqlite().await;
                    super::$name(store).await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (store, _schema) = super::postgres().await;
                    super::$name(store).await;
                }
            )*
        }
    };
}

on_both_databases!(
    short_decisions_in_a_batch_undo_only_themselves,
    decisions_count_shipments_per_node,
    scarce_stock_is_never_over_reserved,
    an_order_decided_twice_reserves_once,
    a_decision_is_stored_whole_or_not_at_all,
    inventory_events_apply_once,
    keys_belong_to_one_tenant,
);

fn event(id: &str, kind: EventKind, node: &str, sku: &str, quantity: i64) -> Event {
    Event {
        id: id.into(),
        kind,
        node: node.into(),
        sku: sku.into(),
        quantity,
        order_id: None,
    }
}
