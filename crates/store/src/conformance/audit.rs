//! Conformance cases for the audit trail.

use crate::error::{EntityKind, StoreError};
use crate::model::{AuditFilter, AuditRecord, OUTCOME_FAILURE};
use crate::Store;

use super::{audit_record, provider_arn, ACCOUNT_ID};

fn request_ids(records: &[crate::model::AuditRecord]) -> Vec<&str> {
    records.iter().map(|r| r.request_id.as_str()).collect()
}

pub async fn audit_insert_and_list_newest_first(store: &dyn Store) {
    let mut failure = audit_record(2_000, "r2");
    failure.outcome = OUTCOME_FAILURE.into();
    failure.error_code = Some("AuthenticationFail.OIDCToken.Expired".into());
    failure.failed_check = Some("expiry".into());
    failure.subject = None;
    failure.jti = None;
    let batch = vec![
        audit_record(1_000, "r1"),
        failure.clone(),
        // Same time as r2: the later insert lists first.
        audit_record(2_000, "r3"),
    ];
    store.insert_audit(&batch).await.expect("insert");
    store
        .insert_audit(&[])
        .await
        .expect("insert of empty batch");

    let listed = store
        .list_audit(&AuditFilter::default())
        .await
        .expect("list");
    assert_eq!(request_ids(&listed), ["r3", "r2", "r1"]);

    let ids: Vec<i64> = listed.iter().map(|r| r.id).collect();
    assert!(
        ids.iter().all(|id| *id > 0),
        "ids must be assigned: {ids:?}"
    );
    assert!(
        ids[0] > ids[1],
        "ids must grow with insertion order: {ids:?}"
    );
    assert!(
        ids[1] > ids[2],
        "ids must grow with insertion order: {ids:?}"
    );

    let mut stored_failure = listed[1].clone();
    stored_failure.id = 0;
    assert_eq!(stored_failure, failure, "every field must round-trip");
}

pub async fn audit_filters_select_records(store: &dyn Store) {
    let deploy = format!("acs:ram::{ACCOUNT_ID}:role/deploy");
    let other_role = format!("acs:ram::{ACCOUNT_ID}:role/other");
    let mut records = Vec::new();
    for (i, (role, provider, failed)) in [
        (&deploy, "github", false),
        (&deploy, "gitlab", true),
        (&other_role, "github", true),
        (&other_role, "gitlab", false),
    ]
    .into_iter()
    .enumerate()
    {
        let mut record = audit_record(1_000 * (i as i64 + 1), &format!("r{}", i + 1));
        record.role_arn = Some(role.clone());
        record.provider_arn = Some(provider_arn(provider));
        if failed {
            record.outcome = OUTCOME_FAILURE.into();
        }
        records.push(record);
    }
    let mut admin = audit_record(5_000, "r5");
    admin.action = "CreateRole".into();
    admin.role_arn = None;
    admin.provider_arn = None;
    records.push(admin);
    store.insert_audit(&records).await.expect("insert");

    let cases = [
        (
            AuditFilter {
                role_arn: Some(deploy.clone()),
                ..Default::default()
            },
            vec!["r2", "r1"],
        ),
        (
            AuditFilter {
                provider_arn: Some(provider_arn("github")),
                ..Default::default()
            },
            vec!["r3", "r1"],
        ),
        (
            AuditFilter {
                outcome: Some(OUTCOME_FAILURE.into()),
                ..Default::default()
            },
            vec!["r3", "r2"],
        ),
        (
            AuditFilter {
                since_ms: Some(3_000),
                ..Default::default()
            },
            vec!["r5", "r4", "r3"],
        ),
        (
            AuditFilter {
                until_ms: Some(3_000),
                ..Default::default()
            },
            vec!["r2", "r1"],
        ),
        (
            AuditFilter {
                since_ms: Some(2_000),
                until_ms: Some(4_000),
                ..Default::default()
            },
            vec!["r3", "r2"],
        ),
        (
            AuditFilter {
                role_arn: Some(other_role.clone()),
                outcome: Some(OUTCOME_FAILURE.into()),
                ..Default::default()
            },
            vec!["r3"],
        ),
        (
            AuditFilter {
                role_arn: Some(deploy.to_uppercase()),
                ..Default::default()
            },
            vec![],
        ),
        (
            AuditFilter {
                limit: 2,
                ..Default::default()
            },
            vec!["r5", "r4"],
        ),
    ];
    for (filter, expected) in cases {
        let listed = store.list_audit(&filter).await.expect("list");
        assert_eq!(request_ids(&listed), expected, "filter {filter:?}");
    }
}

/// A batch larger than one INSERT statement keeps every record, every field in its column, and the batch order.
pub async fn audit_large_batch_keeps_records_in_order(store: &dyn Store) {
    let records: Vec<_> = (0..517)
        .map(|i| {
            let mut record = audit_record(5_000, &format!("batch-{i:03}"));
            record.subject = (i % 2 == 0).then(|| format!("subject-{i}"));
            if i % 3 == 0 {
                record.outcome = OUTCOME_FAILURE.to_owned();
                record.error_code = Some(format!("Code{i}"));
                record.failed_check = Some("signature".to_owned());
            }
            record
        })
        .collect();
    store
        .insert_audit(&records)
        .await
        .expect("insert a large batch");

    let listed = store
        .list_audit(&AuditFilter {
            limit: 1_000,
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(listed.len(), records.len());
    // Same time for all, so the newest-first order is the reverse of the batch order.
    for (got, want) in listed.iter().zip(records.iter().rev()) {
        assert_eq!(
            AuditRecord {
                id: 0,
                ..got.clone()
            },
            *want
        );
    }
}

pub async fn audit_limit_clamped(store: &dyn Store) {
    let records: Vec<_> = (0..3).map(|i| audit_record(i, &format!("r{i}"))).collect();
    store.insert_audit(&records).await.expect("insert");

    let filter = AuditFilter {
        limit: 0,
        ..Default::default()
    };
    let listed = store.list_audit(&filter).await.expect("limit 0");
    assert_eq!(request_ids(&listed), ["r2"], "limit 0 must be clamped to 1");

    let filter = AuditFilter {
        limit: u32::MAX,
        ..Default::default()
    };
    let listed = store.list_audit(&filter).await.expect("huge limit");
    assert_eq!(listed.len(), 3);
}

pub async fn audit_invalid_outcome_rejects_batch(store: &dyn Store) {
    let mut bad = audit_record(2_000, "bad");
    bad.outcome = "Maybe".into();
    let err = store
        .insert_audit(&[audit_record(1_000, "good"), bad])
        .await
        .expect_err("unknown outcome");
    assert!(
        matches!(
            err,
            StoreError::InvalidRecord {
                kind: EntityKind::AuditRecord,
                ..
            }
        ),
        "{err:?}"
    );

    let listed = store
        .list_audit(&AuditFilter::default())
        .await
        .expect("list");
    assert!(
        listed.is_empty(),
        "no record of a rejected batch may be stored: {listed:?}"
    );
}

/// Pruning deletes exactly the records older than the cut-off and keeps the rest.
pub async fn audit_prune_deletes_older_records(store: &dyn Store) {
    let records: Vec<crate::model::AuditRecord> = (1..=5).map(|i| audit_record(i * 1000, &format!("R{i}"))).collect();
    store.insert_audit(&records).await.expect("insert");

    let deleted = store.prune_audit(3000).await.expect("prune");
    assert_eq!(deleted, 2, "records at 1000 and 2000 are older than 3000");

    let left = store.list_audit(&AuditFilter::default()).await.expect("list");
    let ids: Vec<&str> = left.iter().map(|r| r.request_id.as_str()).collect();
    assert_eq!(ids, vec!["R5", "R4", "R3"]);
    assert_eq!(store.prune_audit(3000).await.expect("prune again"), 0);
}
