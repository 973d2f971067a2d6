package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// config is the server's configuration: flags, each with a SHOAL_*
// environment variable as its default.
type config struct {
	Addr            string        // -addr, SHOAL_ADDR: listen address
	DataDir         string        // -data, SHOAL_DATA_DIR: Badger directory
	InMemory        bool          // -in-memory, SHOAL_IN_MEMORY: keep data in memory only
	Sync            bool          // -sync, SHOAL_SYNC: fsync before acknowledging a write
	MaxBodyBytes    int64         // -max-body-bytes, SHOAL_MAX_BODY_BYTES
	RequestTimeout  time.Duration // -request-timeout, SHOAL_REQUEST_TIMEOUT
	ShutdownTimeout time.Duration // -shutdown-timeout, SHOAL_SHUTDOWN_TIMEOUT
	ComplexityLimit int           // -complexity-limit, SHOAL_COMPLEXITY_LIMIT
	DepthLimit      int           // -depth-limit, SHOAL_DEPTH_LIMIT
	QueryCacheSize  int           // -query-cache-size, SHOAL_QUERY_CACHE_SIZE
	APQCacheSize    int           // -apq-cache-size, SHOAL_APQ_CACHE_SIZE
	Introspection   bool          // -introspection, SHOAL_INTROSPECTION
	Playground      bool          // -playground, SHOAL_PLAYGROUND: GraphiQL at /
	LogLevel        string        // -log-level, SHOAL_LOG_LEVEL: debug, info, warn, error
	LogFormat       string        // -log-format, SHOAL_LOG_FORMAT: text or json
	// DynamoDBAddr is the listen address of the DynamoDB-compatible API
	// (-dynamodb-addr, SHOAL_DYNAMODB_ADDR); empty, the default, turns it off.
	DynamoDBAddr string
	// PprofAddr is the listen address of Go's profiler endpoints
	// (/debug/pprof/; -pprof-addr, SHOAL_PPROF_ADDR); empty, the default,
	// turns them off. It must be a loopback address: the profiles reveal
	// the process's internals and take no credentials.
	PprofAddr string

	// Security (see auth/doc.go and README "Security").
	InsecureDev        bool   // -insecure-dev: anonymous full access, loopback only
	TLSCert, TLSKey    string // -tls-cert, -tls-key: serve HTTPS and WSS
	AllowCIDR          string // -allow-cidr: comma-separated client networks allowed
	PolicyFile         string // -policy-file: roles and bindings loaded at start
	JWTHS256SecretFile string // -jwt-hs256-secret-file
	JWTJWKSFile        string // -jwt-jwks-file
	JWTIssuer          string // -jwt-issuer
	JWTAudience        string // -jwt-audience
	JWTRolesClaim      string // -jwt-roles-claim (default groups)
	AuditDataPlane     bool   // -audit-data-plane: audit every data-plane call
	EncryptionKeyFile  string // -encryption-key-file: encryption at rest
	BackupDir          string // -backup-dir, SHOAL_BACKUP_DIR: backups and PITR snapshots (default <data>/backups)

	// Global tables (docs/GLOBAL_TABLES.md).
	Region             string        // -region, SHOAL_REGION: this server's region
	Peers              string        // -peer (repeatable), SHOAL_PEERS: region=http[s]://host:port, comma-separated
	ReplicationKeyFile string        // -replication-key-file: API key(s) presented to peers ("key" or "region=key" lines)
	ReplicationCAFile  string        // -replication-ca-file: CA bundle (PEM) trusted for https peers
	TombstoneHorizon   time.Duration // -tombstone-horizon: how long tombstones of global tables are kept
}

// defaultConfig is the configuration of `go run .` without flags or
// environment.
func defaultConfig() config {
	return config{
		Addr:            "127.0.0.1:8080",
		DataDir:         "./data",
		Sync:            true,
		MaxBodyBytes:    8 << 20,
		RequestTimeout:  30 * time.Second,
		ShutdownTimeout: 30 * time.Second,
		ComplexityLimit: 10000,
		DepthLimit:      12,
		QueryCacheSize:  1000,
		APQCacheSize:    1000,
		Introspection:   true,
		Playground:      true,
		LogLevel:        "info",
		LogFormat:       "text",
	}
}

// loadConfig reads flags from args over SHOAL_* variables from getenv over
// the defaults.
func loadConfig(args []string, getenv func(string) string) (config, error) {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("shoal", flag.ContinueOnError)
	var envErr error
	env := func(name string) (string, bool) {
		v := getenv("SHOAL_" + name)
		return v, v != ""
	}
	str := func(p *string, flagName, envName, usage string) {
		if v, ok := env(envName); ok {
			*p = v
		}
		fs.StringVar(p, flagName, *p, usage+" (SHOAL_"+envName+")")
	}
	boolean := func(p *bool, flagName, envName, usage string) {
		if v, ok := env(envName); ok {
			b, err := strconv.ParseBool(v)
			if err != nil && envErr == nil {
				envErr = fmt.Errorf("SHOAL_%s: %w", envName, err)
			}
			*p = b
		}
		fs.BoolVar(p, flagName, *p, usage+" (SHOAL_"+envName+")")
	}
	integer := func(p *int, flagName, envName, usage string) {
		if v, ok := env(envName); ok {
			n, err := strconv.Atoi(v)
			if err != nil && envErr == nil {
				envErr = fmt.Errorf("SHOAL_%s: %w", envName, err)
			}
			*p = n
		}
		fs.IntVar(p, flagName, *p, usage+" (SHOAL_"+envName+")")
	}
	duration := func(p *time.Duration, flagName, envName, usage string) {
		if v, ok := env(envName); ok {
			d, err := time.ParseDuration(v)
			if err != nil && envErr == nil {
				envErr = fmt.Errorf("SHOAL_%s: %w", envName, err)
			}
			*p = d
		}
		fs.DurationVar(p, flagName, *p, usage+" (SHOAL_"+envName+")")
	}
	str(&cfg.Addr, "addr", "ADDR", "listen address")
	str(&cfg.DataDir, "data", "DATA_DIR", "data directory")
	boolean(&cfg.InMemory, "in-memory", "IN_MEMORY", "keep all data in memory and lose it on exit")
	boolean(&cfg.Sync, "sync", "SYNC", "fsync every acknowledged write (false trades durability for speed)")
	maxBody := int(cfg.MaxBodyBytes)
	integer(&maxBody, "max-body-bytes", "MAX_BODY_BYTES", "largest request body accepted")
	duration(&cfg.RequestTimeout, "request-timeout", "REQUEST_TIMEOUT", "longest time a request may take")
	duration(&cfg.ShutdownTimeout, "shutdown-timeout", "SHUTDOWN_TIMEOUT", "longest wait for in-flight requests on shutdown")
	integer(&cfg.ComplexityLimit, "complexity-limit", "COMPLEXITY_LIMIT", "largest operation complexity accepted")
	integer(&cfg.DepthLimit, "depth-limit", "DEPTH_LIMIT", "deepest selection nesting accepted")
	integer(&cfg.QueryCacheSize, "query-cache-size", "QUERY_CACHE_SIZE", "parsed queries kept")
	integer(&cfg.APQCacheSize, "apq-cache-size", "APQ_CACHE_SIZE", "automatic persisted queries kept")
	boolean(&cfg.Introspection, "introspection", "INTROSPECTION", "allow schema introspection (turn off in production)")
	boolean(&cfg.Playground, "playground", "PLAYGROUND", "serve GraphiQL at /")
	str(&cfg.LogLevel, "log-level", "LOG_LEVEL", "log level: debug, info, warn, error")
	str(&cfg.LogFormat, "log-format", "LOG_FORMAT", "log format: text or json")
	str(&cfg.DynamoDBAddr, "dynamodb-addr", "DYNAMODB_ADDR", "listen address of the DynamoDB-compatible API (off unless set)")
	str(&cfg.PprofAddr, "pprof-addr", "PPROF_ADDR", "loopback listen address of the Go profiler, /debug/pprof/ (off unless set)")
	boolean(&cfg.InsecureDev, "insecure-dev", "INSECURE_DEV", "allow requests without credentials, with full access (loopback addresses only; development)")
	str(&cfg.TLSCert, "tls-cert", "TLS_CERT", "TLS certificate file (PEM): serve HTTPS and WSS")
	str(&cfg.TLSKey, "tls-key", "TLS_KEY", "TLS private key file (PEM)")
	str(&cfg.AllowCIDR, "allow-cidr", "ALLOW_CIDR", "comma-separated CIDR ranges of the clients allowed (default: any)")
	str(&cfg.PolicyFile, "policy-file", "POLICY_FILE", "JSON file of roles and group bindings loaded at start")
	str(&cfg.JWTHS256SecretFile, "jwt-hs256-secret-file", "JWT_HS256_SECRET_FILE", "file holding the HS256 secret for JWT bearer tokens")
	str(&cfg.JWTJWKSFile, "jwt-jwks-file", "JWT_JWKS_FILE", "JWKS file of the RS256/ES256 keys for JWT bearer tokens")
	str(&cfg.JWTIssuer, "jwt-issuer", "JWT_ISSUER", "required iss claim of JWTs")
	str(&cfg.JWTAudience, "jwt-audience", "JWT_AUDIENCE", "required aud claim of JWTs")
	str(&cfg.JWTRolesClaim, "jwt-roles-claim", "JWT_ROLES_CLAIM", "JWT claim listing the user's groups (default groups)")
	boolean(&cfg.AuditDataPlane, "audit-data-plane", "AUDIT_DATA_PLANE", "audit every data-plane call, not only the control plane and denials")
	str(&cfg.EncryptionKeyFile, "encryption-key-file", "ENCRYPTION_KEY_FILE", "master key file (16, 24 or 32 bytes; raw, hex or base64): encrypt all data at rest")
	str(&cfg.BackupDir, "backup-dir", "BACKUP_DIR", "directory of backups and point-in-time-recovery snapshots (default <data>/backups)")
	str(&cfg.Region, "region", "REGION", "this server's region, for global tables (e.g. us-west-1)")
	if v, ok := env("PEERS"); ok {
		cfg.Peers = v
	}
	fs.Func("peer", "a peer region's replication address, region=http[s]://host:port (repeatable; SHOAL_PEERS, comma-separated)", func(v string) error {
		if cfg.Peers != "" {
			cfg.Peers += ","
		}
		cfg.Peers += v
		return nil
	})
	str(&cfg.ReplicationKeyFile, "replication-key-file", "REPLICATION_KEY_FILE", "file of the API key presented to peer regions: one key, or region=key lines")
	str(&cfg.ReplicationCAFile, "replication-ca-file", "REPLICATION_CA_FILE", "PEM CA bundle trusted for https peer addresses (default: the system's)")
	duration(&cfg.TombstoneHorizon, "tombstone-horizon", "TOMBSTONE_HORIZON", "how long global tables keep the tombstones of deleted items (longer than the longest replication outage; default 24h)")
	if envErr != nil {
		return cfg, envErr
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	cfg.MaxBodyBytes = int64(maxBody)
	return cfg, cfg.validate()
}

func (c config) validate() error {
	switch {
	case c.DataDir == "" && !c.InMemory:
		return fmt.Errorf("a data directory is required (-data) unless -in-memory")
	case c.MaxBodyBytes <= 0:
		return fmt.Errorf("-max-body-bytes must be positive")
	case c.RequestTimeout <= 0 || c.ShutdownTimeout <= 0:
		return fmt.Errorf("timeouts must be positive")
	case c.ComplexityLimit <= 0 || c.DepthLimit <= 0 || c.QueryCacheSize <= 0 || c.APQCacheSize <= 0:
		return fmt.Errorf("limits and cache sizes must be positive")
	}
	if c.PprofAddr != "" && !isLoopback(c.PprofAddr) {
		return fmt.Errorf("-pprof-addr must be a loopback address, not %q", c.PprofAddr)
	}
	if c.InsecureDev && !isLoopback(c.Addr) {
		return fmt.Errorf("-insecure-dev is allowed only on a loopback listen address (127.0.0.1, [::1], localhost), not %q", c.Addr)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("-tls-cert and -tls-key go together")
	}
	if _, err := parsePeers(c.Peers); err != nil {
		return err
	}
	if c.Peers != "" && c.Region == "" {
		return fmt.Errorf("-peer needs -region")
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("-log-format must be text or json, not %q", c.LogFormat)
	}
	return nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("-log-level: %w", err)
	}
	return l, nil
}

// newLogger returns the server's structured logger.
func newLogger(cfg config, w io.Writer) *slog.Logger {
	level, _ := parseLevel(cfg.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
