// Package auth decides who is asking and what they may do: it authenticates
// requests (API keys, JWT bearer tokens), authorizes them against roles and
// policies with fine-grained conditions, keeps an audit log whose entries
// are hash-chained, and records every change of the access configuration.
// It imports nothing of Shoal but the engine's public API, where it keeps
// its durable state (engine.Meta spaces "auth.keys", "auth.roles",
// "auth.history", "auth.audit"), so that state shares the database's
// durability, encryption at rest and backups.
//
// # Authentication
//
// Every request carries a credential in `Authorization: Bearer …` (or
// `X-Api-Key`; for WebSocket subscriptions, in the connection_init payload
// as "Authorization"):
//
//   - An API key, `shoal_<id>_<secret>`: a 16-hex-digit id and 64 hex
//     digits (256 random bits) of secret. Bearer authentication checks a
//     salted SHA-256 of the secret (see APIKey for why a fast hash is
//     right for random secrets); the secret is shown once, at creation.
//     Keys can be disabled, given an expiry, deleted; the key record is
//     read again at every authorization, so a disabled key stops working
//     at once, also on open WebSocket connections.
//   - A JWT (compact JWS): HS256 with a shared secret, RS256 or ES256
//     (P-256) with the keys of a JWKS file. The header's alg must be one
//     the configured keys support, and each JWKS key verifies only the
//     algorithm of its type, so "none" and algorithm confusion (an HS256
//     token "signed" with an RSA public key) are refused. exp is required;
//     iss, aud (when configured) and nbf are checked with 30 s of leeway;
//     sub is the user id; the groups claim (configurable) lists the
//     user's groups.
//
// # Signature Version 4 and the signing key
//
// The DynamoDB API (package dynamodbapi) authenticates with AWS Signature
// Version 4: the access key id is an API key's id, the secret access key
// its whole secret form. Verifying a SigV4 signature needs the secret
// itself, which a hash cannot give back, so with Options.SigningKey set
// each new key's secret is also stored sealed: AES-256-GCM under the
// signing key, a fresh 96-bit nonce per key, the key id as additional data
// (a sealed secret copied onto another record does not open), with the
// signing key's fingerprint beside it (APIKey.Sealed, SealedBy).
// SigV4Credentials opens it, checks it against the hash, and hands it to
// the signature check, never further. History records carry neither the
// hash nor the sealed secret.
//
// The signing key never lives in the database (LoadSigningKey): it is 32
// random bytes in <data>/signing-key, created at the first start with
// mode 0600. With encryption at rest the file holds it wrapped with
// AES-256-GCM under HKDF-SHA256(master key, "shoal signing-key wrap v1"),
// and `shoal rotate-key` re-wraps it (RewrapSigningKey).
//
// Threat model. What the design protects against: a copy of the Badger
// files, a backup, an export or a dump of the auth.keys space — alone they
// hold hashes and ciphertexts, and no secret. With encryption at rest, a
// stolen data directory (signing-key file included) without the master key
// reveals nothing. What it does not: a thief of the data directory when
// encryption at rest is off gets the signing key with it and can open the
// sealed secrets (the data itself is then in clear anyway); whoever runs
// code in the server process, or reads its memory, sees secrets as they
// are used. The root-key file holds the root key in clear by design (mode
// 0600; delete it once stored elsewhere). Losing the signing key (a restore
// without the file, a new data directory) turns SigV4 off for existing
// keys, which keep working as Bearer credentials; new keys are sealed
// under the new signing key. Keys created before SigV4 support have no
// sealed secret and are refused by SigV4 with ErrNoSigV4Secret ("this key
// predates SigV4 support; create a new key"). Knowing a key id (which
// audit records show) lets one learn whether that key predates SigV4
// support; nothing about its secret.
//
// A server-wide allow-list of client networks is checked before any
// credential. Options.InsecureDev admits requests without credentials as
// the anonymous principal with the admin role (the server allows it only on
// a loopback address).
//
// # Authorization
//
// A principal holds roles: an API key its own; a JWT user those attached
// to its groups (AttachRole). A role is a list of statements:
//
//	{"effect": "allow", "actions": ["item:get", "table:query"],
//	 "resources": ["table/Orders", "table/Orders/index/*"],
//	 "conditions": {"leadingKeys": ["${sub}"], "attributes": ["userId", "total"],
//	                "sourceIp": ["10.0.0.0/8"]}}
//
// Actions: table:create|update|delete|describe|list|history,
// table:query|scan, item:get|put|update|delete, stream:subscribe,
// admin:keys|roles|audit, replication:apply (a peer region shipping the
// changes of a global table; resource "table/<name>"); a pattern may end
// in "*". Resources:
// "table/<name>", "table/<name>/index/<index>" (a table's resource does not
// cover its indexes), "*" for actions on no table; "*" in a pattern
// matches any characters. The decision: default deny; a matching deny
// wins; a matching allow without fine-grained conditions allows all; else
// the fine-grained conditions of the matching allows are intersected. The
// built-in role "admin" allows everything and cannot be changed.
//
// Fine-grained conditions become an engine.Restriction, which the caller
// passes on every engine input (the Restrict fields): the engine checks it
// inside the request's transaction, before it reads any item, so a denied
// request returns ACCESS_DENIED and learns nothing about whether the item
// exists. leadingKeys binds the table's partition key to values from the
// caller's identity (${sub}): item operations and queries of other
// partitions are denied, scans and global-index queries skip other
// partitions' rows, subscriptions see only allowed partitions. attributes
// limits the top-level attributes a request may name (projections,
// filters, conditions, updates) and narrows every item it receives;
// PutItem and DeleteItem, which touch every attribute, are denied to such
// callers (they write with UpdateItem). A deny statement takes only the
// sourceIp condition.
//
// # Audit
//
// Every control-plane call (table:create/update/delete, admin:*), every
// denial and every failed authentication is recorded; with
// Options.AuditDataPlane, every data-plane call too: time, principal,
// action, resource, source address, outcome and request id. Entries are
// appended by one writer with group commit and chained by SHA-256 (each
// entry holds the hash of the one before; the chain's head is stored
// apart), so VerifyAudit detects a changed, removed or reordered entry.
// The chain cannot detect a rewrite of the whole log by someone holding the
// master key; export the head's hash elsewhere for that.
//
// # Usage
//
//	signingKey, err := auth.LoadSigningKey(dataDir, masterKey) // masterKey nil without encryption at rest
//	svc, err := auth.Open(db, auth.Options{SigningKey: signingKey, JWT: auth.JWTOptions{HS256Secret: secret}})
//	secret, created, err := svc.Bootstrap(ctx) // the root key, on first start
//	handler = svc.Middleware(handler)          // principal into the context
//	// in a resolver:
//	ctx, finish := svc.Audit(ctx)
//	r, err := svc.Authorize(ctx, auth.ActionItemGet, auth.TableResource("Orders"))
//	item, err := db.GetItem(ctx, engine.GetItemInput{Table: "Orders", Key: k, Restrict: r})
//	finish(err)
package auth
