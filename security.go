package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/shoaldb/shoal/auth"
	"github.com/shoaldb/shoal/engine"
)

// bootstrapOut receives the root key on the first start (tests silence it).
var bootstrapOut io.Writer = os.Stderr

// rootKeyFile is where the root API key is written on first start, readable
// only by its owner.
const rootKeyFile = "root-key"

// openAuth builds the auth service from the configuration, loads the policy
// file and, on the first start, creates the root API key: it is printed
// once to out and written to <data>/root-key (mode 0600). It returns the
// root key only when it was just created.
func openAuth(cfg config, db *engine.DB, signingKey []byte, log *slog.Logger, out io.Writer) (*auth.Service, string, error) {
	opts := auth.Options{
		SigningKey:     signingKey,
		InsecureDev:    cfg.InsecureDev,
		AuditDataPlane: cfg.AuditDataPlane,
		Logger:         log,
		JWT: auth.JWTOptions{
			Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience, RolesClaim: cfg.JWTRolesClaim,
		},
	}
	for _, c := range splitList(cfg.AllowCIDR) {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, "", fmt.Errorf("-allow-cidr: %w", err)
		}
		opts.AllowNetworks = append(opts.AllowNetworks, p)
	}
	if cfg.JWTHS256SecretFile != "" {
		b, err := os.ReadFile(cfg.JWTHS256SecretFile)
		if err != nil {
			return nil, "", fmt.Errorf("-jwt-hs256-secret-file: %w", err)
		}
		opts.JWT.HS256Secret = []byte(strings.TrimSpace(string(b)))
		if len(opts.JWT.HS256Secret) < 32 {
			return nil, "", fmt.Errorf("-jwt-hs256-secret-file: the secret must be at least 32 bytes")
		}
	}
	if cfg.JWTJWKSFile != "" {
		set, err := auth.LoadJWKS(cfg.JWTJWKSFile)
		if err != nil {
			return nil, "", fmt.Errorf("-jwt-jwks-file: %w", err)
		}
		opts.JWT.JWKS = set
	}
	svc, err := auth.Open(db, opts)
	if err != nil {
		return nil, "", err
	}
	ctx := context.Background()
	if cfg.PolicyFile != "" {
		if err := svc.LoadPolicyFile(ctx, cfg.PolicyFile); err != nil {
			svc.Close()
			return nil, "", err
		}
	}
	if cfg.InsecureDev {
		log.Warn("INSECURE: -insecure-dev lets requests without credentials in with full access; never use it beyond this machine", "addr", cfg.Addr)
	}
	root, created, err := svc.Bootstrap(ctx)
	if err != nil {
		svc.Close()
		return nil, "", err
	}
	if !created {
		return svc, "", nil
	}
	where := "(in memory: not written to disk)"
	if !cfg.InMemory {
		path := filepath.Join(cfg.DataDir, rootKeyFile)
		if err := os.WriteFile(path, []byte(root+"\n"), 0o600); err != nil {
			svc.Close()
			return nil, "", fmt.Errorf("write the root key: %w", err)
		}
		where = "written to " + path + " (mode 0600)"
	}
	fmt.Fprintf(out, "\nShoal created the root API key; it is shown only this once, %s:\n\n    %s\n\n"+
		"Call the API with it:  curl -H 'Authorization: Bearer %s' ...\n\n", where, root, root)
	return svc, root, nil
}

// loadSigningKey returns the key API key secrets are sealed under for the
// DynamoDB API's Signature Version 4 (see auth.LoadSigningKey):
// <data>/signing-key, created at the first start (mode 0600) and, with
// encryption at rest, wrapped under the master key. In memory, a key that
// lives as long as the process (as the keys it seals do).
func loadSigningKey(cfg config, masterKey []byte) ([]byte, error) {
	if cfg.InMemory {
		k := make([]byte, auth.SigningKeySize)
		rand.Read(k)
		return k, nil
	}
	k, err := auth.LoadSigningKey(cfg.DataDir, masterKey)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	return k, nil
}

// splitList splits a flag's list at commas and spaces, dropping empty
// elements.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// isLoopback reports whether a listen address binds only loopback
// interfaces ("127.0.0.1:8080", "[::1]:80", "localhost:8080").
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// readKeyFile reads an encryption key: 16, 24 or 32 bytes, raw or as hex or
// base64 text (`openssl rand -hex 32 > key`).
func readKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t := strings.TrimSpace(string(b))
	if k, err := hex.DecodeString(t); err == nil && validKeyLen(len(k)) {
		return k, nil
	}
	if k, err := base64.StdEncoding.DecodeString(t); err == nil && validKeyLen(len(k)) {
		return k, nil
	}
	if validKeyLen(len(b)) {
		return b, nil
	}
	return nil, errors.New("an encryption key must be 16, 24 or 32 bytes (raw, hex or base64)")
}

func validKeyLen(n int) bool { return n == 16 || n == 24 || n == 32 }

// rotateKeyMain is `shoal rotate-key`: it re-encrypts the data keys of a
// stopped database with a new master key.
func rotateKeyMain(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("shoal rotate-key", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", "./data", "data directory of the stopped server")
	oldPath := fs.String("old-key-file", "", "the current master key")
	newPath := fs.String("new-key-file", "", "the new master key")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *oldPath == "" || *newPath == "" {
		fmt.Fprintln(stderr, "shoal rotate-key: -old-key-file and -new-key-file are required")
		return 2
	}
	oldKey, err := readKeyFile(*oldPath)
	if err == nil {
		var newKey []byte
		if newKey, err = readKeyFile(*newPath); err == nil {
			// The signing key is wrapped under the master key: check that
			// the old key opens it before rotating, re-wrap it after.
			if _, err = auth.ReadSigningKey(*dir, oldKey); errors.Is(err, iofs.ErrNotExist) {
				err = nil
			}
			if err == nil {
				err = engine.RotateEncryptionKey(*dir, oldKey, newKey)
			}
			if err == nil {
				err = auth.RewrapSigningKey(*dir, oldKey, newKey)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "shoal rotate-key:", err)
		return 1
	}
	fmt.Fprintln(stderr, "shoal rotate-key: done; start the server with the new key file and destroy the old one")
	return 0
}
