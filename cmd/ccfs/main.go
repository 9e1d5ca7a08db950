// Command ccfs runs and exercises a CC-FS third-party file server:
// uploadFile, deleteFile, downloadFile (and listFiles, a ccfs extension).
//
//	ccfs serve [flags]                 run the server (HTTPS on 127.0.0.1:28443 by default)
//	ccfs upload --url --ak --sk --vdn FILE.wav
//	ccfs delete --url --ak --sk [--location ID] FILENAME
//	ccfs download --url --ak --sk [--folder] -o OUT.wav FILEPATH
//	ccfs ls --url --ak --sk --vdn N [--json] [--limit N]
//	ccfs check [--convert] FILE.wav...
//	ccfs convert IN.wav OUT.wav [--codec alaw]
//	ccfs sign --ak --sk --url [--body FILE] [--header 'Name: value']... [--explain]
//	ccfs explain [ANSWER.json]
//	ccfs bench --url --ak --sk --vdn [--size 5MiB] [--concurrency 16] [--duration 30s]
//	ccfs usage [--data DIR | --store LOCATION | --pool ...] [--path-rule R] [--quota LIMITS] [--redis URL [--reconcile]]
//	ccfs events --admin HOST:PORT list [--dead] | redeliver --endpoint KEY REF... | new-secret
//	ccfs console-user add NAME | remove NAME | list [--file F | --data DIR]
//
// Run "ccfs <command> --help" for a command's flags and an example.
//
// Each command is a function <name>Cmd in <name>.go. flags.go declares
// the flag groups commands share, client.go the client they make; serve's
// wiring jobs have a file each: tlscert.go (the certificate),
// credentials.go (the keys file and the development key), quota.go
// (ledger and fence), retain.go (the sweeper), cluster.go (stores and
// Redis), webhooks.go (the events' sink and their deliverers) and
// admin.go (the admin listener).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	// MP3, for serve --convert, check --convert and convert.
	_ "github.com/ccfs-go/ccfs/convert/mp3"
)

const usage = `usage: ccfs <command> [flags]

commands:
  serve    run the server (HTTPS on 127.0.0.1:28443, files under ./ccfs-data; --convert: convert uploads)
  upload   upload a WAV file to a server
  delete   delete a file uploaded before
  download download a recording (or an uploaded prompt)
  ls       list a VDN's uploaded prompts (listFiles, a ccfs extension: serve --list-files)
  check    say whether CC-FS would accept WAV files, and why not (--convert: whether serve --convert would convert them)
  convert  turn a WAV or MP3 file from a TTS engine or editor into one CC-FS accepts
  sign     print the Authorization header for a request, for curl (--explain: what it signed)
  explain  lay out what a server signed, from its 401 answer, to diff with sign --explain
  bench    load-test a server: uploads/s, MB/s, latency, result codes
  usage    each VDN's uploaded prompts against its quota (--reconcile: the nodes' shared counts)
  events   the events serve --webhook has not yet delivered, dead letters, redelivery; a new webhook secret
  console-user  add, remove or list the operators who sign in to the console (serve --console)

Run "ccfs <command> --help" for a command's flags and an example.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serveCmd(ctx, args[1:], stdout, stderr)
	case "upload":
		return uploadCmd(ctx, args[1:], stdout, stderr)
	case "delete":
		return deleteCmd(ctx, args[1:], stdout, stderr)
	case "download":
		return downloadCmd(ctx, args[1:], stdout, stderr)
	case "ls":
		return lsCmd(ctx, args[1:], stdout, stderr)
	case "check":
		return checkCmd(ctx, args[1:], stdout, stderr)
	case "convert":
		return convertCmd(ctx, args[1:], stdout, stderr)
	case "sign":
		return signCmd(ctx, args[1:], stdout, stderr)
	case "explain":
		return explainCmd(ctx, args[1:], os.Stdin, stdout, stderr)
	case "bench":
		return benchCmd(ctx, args[1:], stdout, stderr)
	case "usage":
		return usageCmd(ctx, args[1:], stdout, stderr)
	case "events":
		return eventsCmd(ctx, args[1:], stdout, stderr)
	case "console-user":
		return consoleUserCmd(ctx, args[1:], os.Stdin, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "ccfs: unknown command %q\n%s", args[0], usage)
	return 2
}
