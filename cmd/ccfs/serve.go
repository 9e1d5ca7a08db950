package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/pathrule"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := newFlags("serve", "[flags]",
		"Runs the CC-FS upload interface at "+ccfs.UploadPath+".\nOn a first run it generates a development key for VDN 1 and a self-signed certificate.",
		"  ccfs serve\n  ccfs serve --data /var/lib/ccfs --credentials /etc/ccfs/keys.json --root Y: --codecs alaw,mulaw", stderr)
	addr := fl.String("addr", "127.0.0.1:28443", "address to listen on")
	data := fl.String("data", "./ccfs-data", "data directory: files under <data>/files, generated key and certificate beside them")
	credsFile := fl.String("credentials", "", "credentials JSON file (default: <data>/credentials.json, generated with a dev key if absent)")
	certFile := fl.String("tls-cert", "", "TLS certificate (PEM); default: a self-signed one in <data>")
	keyFile := fl.String("tls-key", "", "TLS private key (PEM), with --tls-cert")
	plain := fl.Bool("plain-http", false, "serve plain HTTP, behind a TLS-terminating balancer")
	rule := fl.String("path-rule", pathrule.Default, "Third-Party Upload File Path Rule")
	root := fl.String("root", "", "prefix of fileName in responses, such as Y:")
	maxMB := fl.Int("max-file-mb", ccfs.DefaultMaxFileMB, "Third-Party Upload File Size Limit, in MB")
	codecs := fl.String("codecs", "alaw", "accepted codecs: alaw, mulaw, pcm8, comma-separated")
	perKey := fl.Float64("rate", float64(ccfs.DefaultRatePerKey), "uploads a second per access key (0: no limit)")
	burst := fl.Int("burst", ccfs.DefaultBurst, "uploads an access key may start at once")
	inflight := fl.Int("max-inflight", ccfs.DefaultMaxInFlight, "most uploads processed at once")
	skew := fl.Duration("skew", auth.DefaultWindow, "accepted distance between signing time and server time")
	logFormat := fl.String("log-format", "text", "log format: text or json")
	cluster := addClusterFlags(fl)
	if code := parse(fl, args); code >= 0 {
		return code
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "ccfs serve: unexpected argument %q\n", fl.Arg(0))
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "ccfs serve: %v\n", err)
		return 1
	}
	var logger *slog.Logger
	switch *logFormat {
	case "text":
		logger = slog.New(slog.NewTextHandler(stderr, nil))
	case "json":
		logger = slog.New(slog.NewJSONHandler(stderr, nil))
	default:
		return fail(fmt.Errorf("--log-format %q: want text or json", *logFormat))
	}
	cs, err := parseCodecs(*codecs)
	if err != nil {
		return fail(err)
	}
	if (*certFile == "") != (*keyFile == "") {
		return fail(errors.New("--tls-cert and --tls-key go together"))
	}
	if err := os.MkdirAll(*data, 0o750); err != nil {
		return fail(err)
	}
	creds, err := loadOrCreateCredentials(*credsFile, *data, stdout)
	if err != nil {
		return fail(err)
	}
	var cl closers
	defer cl.Close()
	st, where, err := cluster.openStore(ctx, filepath.Join(*data, "files"), &cl)
	if err != nil {
		return fail(err)
	}
	replay, replayWhere, err := cluster.openReplay(ctx, logger, &cl)
	if err != nil {
		return fail(err)
	}
	limit := rate.Limit(*perKey)
	if *perKey == 0 {
		limit = rate.Inf
	}
	h, err := ccfs.NewHandler(ccfs.Options{
		Credentials: creds, Store: st, Replay: replay, PathRule: *rule, RootPrefix: *root, MaxFileMB: *maxMB,
		Codecs: cs, Window: *skew, RatePerKey: limit, Burst: *burst, MaxInFlight: *inflight, Logger: logger,
	})
	if err != nil {
		return fail(err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // a 5 MB file over a slow link
		WriteTimeout:      6 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fail(err)
	}
	scheme := "https"
	if *plain {
		scheme = "http"
	} else {
		cert, err := loadOrCreateCert(*certFile, *keyFile, *data)
		if err != nil {
			ln.Close()
			return fail(err)
		}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	fmt.Fprintf(stdout, "ccfs: serving %s://%s%s (files under %s, replay cache %s)\n", scheme, ln.Addr(), ccfs.UploadPath, where, replayWhere)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fail(err)
	case <-ctx.Done():
	}
	// Let uploads in flight finish; new connections are refused.
	logger.Info("shutting down; waiting for uploads in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fail(err)
	}
	return 0
}

// loadOrCreateCredentials loads path, or <data>/credentials.json; when
// neither names an existing file it writes a dev key for VDN 1 there (mode
// 0600) and prints it once.
func loadOrCreateCredentials(path, data string, stdout io.Writer) (*auth.Static, error) {
	if path != "" {
		return auth.LoadFile(path)
	}
	path = filepath.Join(data, "credentials.json")
	if _, err := os.Stat(path); err == nil {
		return auth.LoadFile(path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	key := auth.Key{AccessKey: "dev-" + strings.ToLower(rand.Text()[:8]), SecretKey: rand.Text(), VDNs: []int{1}}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := auth.JSON(f, key); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "ccfs: generated a development key for VDN 1 in %s (shown once):\n  access key  %s\n  secret key  %s\n",
		path, key.AccessKey, key.SecretKey)
	return auth.NewStatic(key)
}

// loadOrCreateCert loads the given pair, or <data>/tls-cert.pem and
// <data>/tls-key.pem, generating a self-signed certificate for localhost
// there if absent.
func loadOrCreateCert(certFile, keyFile, data string) (tls.Certificate, error) {
	if certFile != "" {
		return tls.LoadX509KeyPair(certFile, keyFile)
	}
	certFile, keyFile = filepath.Join(data, "tls-cert.pem"), filepath.Join(data, "tls-key.pem")
	if cert, err := tls.LoadX509KeyPair(certFile, keyFile); err == nil {
		return cert, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "ccfs development server"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return tls.Certificate{}, err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return tls.Certificate{}, err
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return tls.Certificate{}, err
	}
	return tls.LoadX509KeyPair(certFile, keyFile)
}
