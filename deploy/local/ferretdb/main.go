// Command ferretdb-launcher runs an embedded FerretDB 1.x (MongoDB wire protocol)
// over SQLite or PostgreSQL.
//
// Why our own launcher: `go install .../cmd/ferretdb` panics at start because the
// module lacks its build/version files (upstream issue 2982); the embeddable
// package does not need them.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	handler := flag.String("handler", "sqlite", "backend: sqlite or postgresql")
	sqliteDir := flag.String("sqlite-dir", "", "existing directory for SQLite files (handler sqlite)")
	sqliteParams := flag.String("sqlite-params", "", "query parameters of the SQLite URL, e.g. _txlock=immediate")
	pgURL := flag.String("postgresql-url", "", "PostgreSQL URL (handler postgresql)")
	logLevel := flag.String("log-level", "error", "debug, info, warn or error (warn logs every failed command in full)")
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fail("bad -log-level: %v", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	cfg := &ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: *listen},
		Logger:   logger,
		Handler:  *handler,
	}
	switch *handler {
	case "sqlite":
		if *sqliteDir == "" {
			fail("-sqlite-dir is required with handler sqlite")
		}
		if err := os.MkdirAll(*sqliteDir, 0o750); err != nil {
			fail("cannot create %s: %v", *sqliteDir, err)
		}
		cfg.SQLiteURL = "file:" + *sqliteDir + "/"
		if *sqliteParams != "" {
			cfg.SQLiteURL += "?" + *sqliteParams
		}
	case "postgresql":
		cfg.PostgreSQLURL = *pgURL
	default:
		fail("unknown -handler %q", *handler)
	}

	f, err := ferretdb.New(cfg)
	if err != nil {
		fail("cannot start FerretDB: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	fmt.Fprintf(os.Stderr, "ferretdb-launcher: listening at %s\n", f.MongoDBURI())
	if err := f.Run(ctx); err != nil {
		fail("FerretDB stopped: %v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "ferretdb-launcher: "+format+"\n", args...)
	os.Exit(1)
}
