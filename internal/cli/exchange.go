package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/vbdt/vbdt/envelope"
	"github.com/vbdt/vbdt/exchange"
	"github.com/vbdt/vbdt/internal/fsutil"
	"github.com/vbdt/vbdt/internal/keys"
	"github.com/vbdt/vbdt/internal/ui"
)

type serveOptions struct {
	addr, dir, systems, directory, urlFile string
	failRate                               float64
	delay                                  time.Duration
	rejectFrom                             []string
}

func (a *app) newEnvelopeServeCmd() *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve --systems FILE",
		Short: "Run a local stand-in of the national exchange platform, for CI and demos",
		Long: `Serve the national document-exchange platform's API on loopback: the same paths, headers and
answers as the platform, so that systems built on the platform's Java SDK, and vbdt's own
client, work against it unchanged — the SDK's quirks included (accumulated headers, a reused
timestamp, {} and empty bodies, Expect: 100-continue, the unpadded hash-file).

It verifies every request's HMAC signature against the caller's secret and every hash-file,
refuses a from that is not the caller, routes each document to the systems in its To (a status
message to the sender of the document it answers), and keeps its state in SQLite in --dir.

--systems names the YAML file of the systems that may call, and the directory it serves:

  systems:
    - id: 000.00.00.H99
      secret_source: env:H99_SECRET     # or secret: "…" (test values only)
  agencies:
    - {code: 000.00.00.H99, name: "UBND tỉnh Thử Nghiệm"}

--directory adds agencies from a YAML or CSV file (columns code, name, id, pid, mail).
Fault injection for tests: --fail-rate, --delay, --reject-from. --json logs a line per request.` +
			exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitUsage, ui.ExitInterrupted),
		Example: `  $ vbdt envelope serve --systems standin.yaml --dir ./platform
  $ vbdt envelope serve --systems standin.yaml --addr 127.0.0.1:0 --url-file url.txt --json &
  $ vbdt envelope serve --systems standin.yaml --fail-rate 0.1 --delay 200ms`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, argv []string) error { return a.runServe(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8088", "address to listen on (loopback unless told otherwise; port 0 picks one)")
	f.StringVar(&o.dir, "dir", "vbdt-platform", "the folder of its state (SQLite and the messages)")
	f.StringVar(&o.systems, "systems", "", "the YAML file of the systems that may call, and agencies (required)")
	f.StringVar(&o.directory, "directory", "", "more agencies for getAgenciesList, from a YAML or CSV file")
	f.StringVar(&o.urlFile, "url-file", "", "write the URL it listens on to this file once it listens")
	f.Float64Var(&o.failRate, "fail-rate", 0, "answer this share of requests (0-1) with a failure")
	f.DurationVar(&o.delay, "delay", 0, "wait this long before every answer")
	f.StringArrayVar(&o.rejectFrom, "reject-from", nil, "refuse documents from this system (repeatable)")
	return cmd
}

func (a *app) runServe(ctx context.Context, o *serveOptions) error {
	if o.systems == "" {
		return usageErrorf("--systems FILE is needed: the systems that may call and their secrets")
	}
	if o.failRate < 0 || o.failRate > 1 {
		return usageErrorf("--fail-rate %g: a share between 0 and 1", o.failRate)
	}
	systems, agencies, err := exchange.LoadStandIn(o.systems, func(src string) (string, error) { return keys.ReadSecret(src, a.getenv) })
	if err != nil {
		return usageErrorf("--systems: %v", err)
	}
	if o.directory != "" {
		more, err := exchange.LoadDirectory(o.directory)
		if err != nil {
			return usageErrorf("--directory: %v", err)
		}
		agencies = append(agencies, more...)
	}
	cfg := exchange.ServerConfig{Dir: o.dir, Systems: systems, Directory: agencies, FailRate: o.failRate, Delay: o.delay, RejectFrom: o.rejectFrom}
	if a.ui.JSON {
		cfg.Log = func(l exchange.RequestLog) { a.ui.EmitItem(ui.Item{Status: "served", Result: l}) }
	} else if a.global.verbose {
		cfg.Log = func(l exchange.RequestLog) {
			a.ui.Infof("%s %s %s %s %s %s", l.Method, l.Path, l.System, l.Status, l.ErrorCode, l.ErrorDesc)
		}
	}
	srv, err := exchange.NewServer(cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	if o.urlFile != "" {
		if err := fsutil.WriteFileAtomic(o.urlFile, []byte(url+"\n"), 0o644); err != nil {
			ln.Close()
			return err
		}
	}
	a.ui.Infof("the exchange platform's stand-in listens on %s (state in %s; %d systems, %d agencies)", url, o.dir, len(systems), len(agencies))
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 30 * time.Second}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		a.ui.Infof("stopped")
		return nil
	}
}

// exchangeClient opens the configured platform: exchange.endpoint, exchange.system_id and the
// secret from exchange.secret_source (or $VBDT_EXCHANGE_SECRET), flags first.
func (a *app) exchangeClient(endpoint, system string) (*exchange.Client, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	x := cfg.Exchange
	if endpoint != "" {
		x.Endpoint = endpoint
	}
	if system != "" {
		x.SystemID = system
	}
	if x.Endpoint == "" {
		return nil, configErrorf("exchange.endpoint", "the exchange platform's endpoint is not configured")
	}
	if x.SystemID == "" {
		x.SystemID = cfg.Agency.OrganID
	}
	if x.SystemID == "" {
		return nil, configErrorf("exchange.system_id", "the system's code on the exchange platform is not configured")
	}
	src := x.SecretSource
	if src == "" && a.getenv("VBDT_EXCHANGE_SECRET") != "" {
		src = "env:VBDT_EXCHANGE_SECRET"
	}
	if src == "" {
		return nil, configErrorf("exchange.secret_source", "the platform secret's source is not configured (file:PATH or env:NAME)")
	}
	secret, err := keys.ReadSecret(src, a.getenv)
	if err != nil {
		return nil, configErrorf("exchange.secret_source", "%v", err)
	}
	return exchange.New(exchange.Config{Endpoint: x.Endpoint, SystemID: x.SystemID, Secret: secret})
}

// platformOptions name the platform a command talks to (the configuration's by default).
type platformOptions struct{ endpoint, system string }

func (o *platformOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.endpoint, "endpoint", "", "the platform's URL (default exchange.endpoint)")
	cmd.Flags().StringVar(&o.system, "system-id", "", "this system's code on the platform (default exchange.system_id, then agency.organ_id)")
}

type sendOptions struct {
	to    []string
	again bool
	platformOptions
}

func (a *app) newEnvelopeSendCmd() *cobra.Command {
	o := &sendOptions{}
	cmd := &cobra.Command{
		Use:   "send FILE...",
		Short: "Send envelopes through the national exchange platform",
		Long: `Validate each envelope and send it through the exchange platform (sendEdoc), signed with the
system's secret (exchange.secret_source, never printed). The platform's DocId is recorded in
FILE.sent.json beside the envelope; an envelope with such a record is not sent again unless
--again (a send is not idempotent: a repeated one may deliver the document twice). An envelope
that does not validate is not sent. Documents go to the organizations in their To (or --to);
status messages to the sender of the document they answer.` +
			exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitPartial, ui.ExitUsage),
		Example: `  $ vbdt envelope send out.edxml
  $ vbdt envelope send --json outbox/*.edxml
  $ vbdt envelope send --endpoint http://127.0.0.1:8088 status-03.edxml`,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error { return a.runSend(cmd.Context(), argv, o) },
	}
	cmd.Flags().StringArrayVar(&o.to, "to", nil, "send to these systems instead of the envelope's (repeatable)")
	cmd.Flags().BoolVar(&o.again, "again", false, "send envelopes that were sent already")
	o.platformOptions.addFlags(cmd)
	return cmd
}

// sentRecord is FILE.sent.json: what the platform answered to a send.
type sentRecord struct {
	File        string    `json:"file"`
	DocID       string    `json:"doc_id"`
	MessageType string    `json:"message_type"`
	Endpoint    string    `json:"endpoint"`
	SystemID    string    `json:"system_id"`
	SentAt      time.Time `json:"sent_at"`
	SHA256      string    `json:"sha256"`
}

func (a *app) runSend(ctx context.Context, files []string, o *sendOptions) error {
	c, err := a.exchangeClient(o.endpoint, o.system)
	if err != nil {
		return err
	}
	failed := 0
	for _, f := range files {
		rec, err := a.sendOne(ctx, c, f, o)
		switch {
		case errors.Is(err, errAlreadySent):
			if a.ui.JSON {
				a.ui.EmitItem(ui.Item{Status: "skipped", Input: f, Reason: err.Error()})
			} else {
				a.ui.Printf("%s\tskipped: %s\n", ui.Safe(f), ui.Safe(err.Error()))
			}
		case err != nil:
			failed++
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if a.ui.JSON {
				a.ui.EmitItem(ui.Item{Status: "failed", Input: f, Error: err.Error()})
			} else {
				a.ui.Printf("%s\tFAILED: %s\n", ui.Safe(f), ui.Safe(err.Error()))
			}
		case a.ui.JSON:
			a.ui.EmitItem(ui.Item{Status: "sent", Input: f, Result: rec})
		default:
			a.ui.Printf("%s\tsent\t%s\n", ui.Safe(f), rec.DocID)
		}
	}
	switch {
	case failed == len(files):
		return fmt.Errorf("nothing was sent")
	case failed > 0:
		return partialError{fmt.Errorf("%d of %d envelopes were not sent", failed, len(files))}
	}
	return nil
}

var errAlreadySent = errors.New("sent already (its .sent.json records the DocId; --again sends it again)")

func (a *app) sendOne(ctx context.Context, c *exchange.Client, path string, o *sendOptions) (*sentRecord, error) {
	recPath := path + ".sent.json"
	if _, err := os.Stat(recPath); err == nil && !o.again {
		return nil, errAlreadySent
	}
	rep, err := envelope.CheckFile(path, envelope.CheckOptions{})
	if err != nil {
		return nil, err
	}
	if !rep.Valid {
		return nil, fmt.Errorf("not sent: the envelope is invalid (%d errors; vbdt envelope validate %s)", rep.Errors, path)
	}
	kind := exchange.MessageEdoc
	if rep.Envelope.IsStatus() {
		kind = exchange.MessageStatus
	}
	docID, err := c.Send(ctx, path, kind, o.to)
	if err != nil {
		return nil, err
	}
	sum, err := fileSHA256(path)
	if err != nil {
		return nil, err
	}
	rec := &sentRecord{File: filepath.Base(path), DocID: docID, MessageType: kind, Endpoint: c.Endpoint(), SystemID: c.SystemID(),
		SentAt: time.Now().UTC().Truncate(time.Second), SHA256: sum}
	data, _ := json.MarshalIndent(rec, "", "  ")
	if err := fsutil.WriteFileAtomic(recPath, append(data, '\n'), 0o644); err != nil {
		return rec, fmt.Errorf("sent as %s, but the record was not written: %w", docID, err)
	}
	return rec, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

type inboxOptions struct {
	dir   string
	kinds []string
	jobs  int
	platformOptions
}

func (a *app) newEnvelopeReceiveCmd() *cobra.Command {
	o := &inboxOptions{}
	cmd := &cobra.Command{
		Use:   "receive -d DIR",
		Short: "Receive the documents and status messages waiting on the exchange platform",
		Long: `List the system's inbox on the exchange platform (documents, then status messages), download
each one (several at a time), write it atomically to DIR/<DocId>.edxml — durable before anything
is acknowledged — and acknowledge it: done once it is safely on disk and reads as an edXML
envelope, fail when it does not (the file is then kept as DIR/<DocId>.invalid.edxml). A run
that is interrupted resumes: a document already on disk is acknowledged, not downloaded again.` +
			exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitPartial, ui.ExitUsage),
		Example: `  $ vbdt envelope receive -d inbox/
  $ vbdt envelope receive --json --kind edoc -d inbox/`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, argv []string) error { return a.runInbox(cmd.Context(), o) },
	}
	cmd.Flags().StringVarP(&o.dir, "dir", "d", "", "where the envelopes go (required)")
	cmd.Flags().StringArrayVar(&o.kinds, "kind", []string{exchange.MessageEdoc, exchange.MessageStatus}, "edoc, status, or both")
	cmd.Flags().IntVar(&o.jobs, "jobs", 4, "downloads at a time")
	o.platformOptions.addFlags(cmd)
	return cmd
}

func (a *app) runInbox(ctx context.Context, o *inboxOptions) error {
	if o.dir == "" {
		return usageErrorf("-d DIR is needed: where the envelopes go")
	}
	c, err := a.exchangeClient(o.endpoint, o.system)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return err
	}
	var items []exchange.Received
	for _, kind := range o.kinds {
		if kind != exchange.MessageEdoc && kind != exchange.MessageStatus {
			return usageErrorf("--kind %q: edoc or status", kind)
		}
		list, err := c.Received(ctx, kind)
		if err != nil {
			return fmt.Errorf("listing the inbox (%s): %w", kind, err)
		}
		items = append(items, list...)
	}
	results := exchange.ReceiveAll(ctx, c, items, o.dir, max(o.jobs, 1))
	failed := 0
	for _, r := range results {
		if r.Err != nil {
			failed++
		}
		if a.ui.JSON {
			it := ui.Item{Status: r.Outcome, Input: r.DocID, Output: r.Path, Bytes: r.Bytes, Result: r}
			if r.Err != nil {
				it.Status, it.Error = "failed", r.Err.Error()
			}
			a.ui.EmitItem(it)
			continue
		}
		if r.Err != nil {
			a.ui.Printf("%s\tFAILED: %s\n", r.DocID, ui.Safe(r.Err.Error()))
		} else {
			a.ui.Printf("%s\t%s\t%s\t%s\n", r.DocID, r.Outcome, r.From, ui.Safe(r.Path))
		}
	}
	if a.ui.JSON {
		a.ui.EmitSummary(ui.Summary{Command: "envelope receive", Total: len(results), Done: len(results) - failed, Failed: failed})
	} else if len(results) == 0 {
		a.ui.Infof("nothing waits")
	}
	if failed > 0 {
		return partialError{fmt.Errorf("%d of %d messages were not received", failed, len(results))}
	}
	return nil
}

type sentListOptions struct {
	docID, kind string
	platformOptions
}

func (a *app) newEnvelopeSentCmd() *cobra.Command {
	o := &sentListOptions{}
	cmd := &cobra.Command{
		Use:   "sent [FILE.edxml | --doc-id ID]",
		Short: "Show the delivery of sent envelopes, per recipient",
		Long: `List what the system sent through the exchange platform and its delivery to each recipient
(getSentEdocList): sent, and whether the recipient received it. Given an envelope sent with
'vbdt envelope send', its recorded DocId is used.` + exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitUsage),
		Example: `  $ vbdt envelope sent
  $ vbdt envelope sent out.edxml
  $ vbdt envelope sent --json --doc-id 68edb8c8c2dcb14db773ce44`,
		Args: args(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			if len(argv) == 1 {
				data, err := fsutil.ReadSmall(argv[0]+".sent.json", 1<<20)
				if err != nil {
					return usageErrorf("%s has no send record: %v", argv[0], err)
				}
				var rec sentRecord
				if err := json.Unmarshal(data, &rec); err != nil {
					return err
				}
				o.docID, o.kind = rec.DocID, rec.MessageType
			}
			c, err := a.exchangeClient(o.endpoint, o.system)
			if err != nil {
				return err
			}
			rows, err := c.Sent(cmd.Context(), o.kind, o.docID)
			if err != nil {
				return err
			}
			if a.ui.JSON {
				for _, r := range rows {
					a.ui.EmitItem(ui.Item{Status: "listed", Result: r})
				}
				a.ui.EmitSummary(ui.Summary{Command: "envelope sent", Total: len(rows), Done: len(rows)})
				return nil
			}
			var table [][]string
			for _, r := range rows {
				table = append(table, []string{r.SenderDocID, r.ToCode, r.SentTime, r.ReceivedTime, r.ReceiveStatus, r.Notation, r.Title})
			}
			a.ui.Table([]string{"DOC ID", "TO", "SENT", "RECEIVED", "STATUS", "NOTATION", "TITLE"}, table)
			return nil
		},
	}
	cmd.Flags().StringVar(&o.docID, "doc-id", "", "only this document (the DocId the platform gave)")
	cmd.Flags().StringVar(&o.kind, "kind", exchange.MessageEdoc, "edoc or status")
	o.platformOptions.addFlags(cmd)
	return cmd
}

type agenciesOptions struct {
	find    string
	refresh bool
	platformOptions
}

func (a *app) newEnvelopeAgenciesCmd() *cobra.Command {
	o := &agenciesOptions{}
	cmd := &cobra.Command{
		Use:   "agencies [--find TEXT]",
		Short: "Search the exchange platform's directory of agencies",
		Long: `List the agencies of the exchange platform's directory (getAgenciesList: over 100 000 on the
real platform), streamed and cached for a day in the user cache folder. --find keeps those whose
code or name holds every word of TEXT, ignoring case and Vietnamese diacritics ("dong nai"
finds "Đồng Nai").` + exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitUsage),
		Example: `  $ vbdt envelope agencies --find "ubnd nghe an"
  $ vbdt envelope agencies --json --refresh > directory.jsonl`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, argv []string) error { return a.runAgencies(cmd.Context(), o) },
	}
	cmd.Flags().StringVar(&o.find, "find", "", "only agencies whose code or name holds these words")
	cmd.Flags().BoolVar(&o.refresh, "refresh", false, "fetch the directory again, whatever the cache holds")
	o.platformOptions.addFlags(cmd)
	return cmd
}

func (a *app) runAgencies(ctx context.Context, o *agenciesOptions) error {
	c, err := a.exchangeClient(o.endpoint, o.system)
	if err != nil {
		return err
	}
	cacheDir, _ := os.UserCacheDir()
	dir := exchange.DirectoryCache{Dir: filepath.Join(cacheDir, "vbdt"), MaxAge: 24 * time.Hour}
	n := 0
	var table [][]string
	err = dir.Each(ctx, c, o.refresh, func(ag exchange.Agency) error {
		if o.find != "" && !ag.Matches(o.find) {
			return nil
		}
		n++
		if a.ui.JSON {
			a.ui.EmitItem(ui.Item{Status: "listed", Result: ag})
		} else if len(table) < 10_000 {
			table = append(table, []string{ag.Code, ag.Name, ag.Mail})
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !a.ui.JSON {
		a.ui.Table([]string{"CODE", "NAME", "MAIL"}, table)
		if n > len(table) {
			a.ui.Infof("%d agencies match; the first %d are shown (--json lists them all)", n, len(table))
		}
	}
	if a.ui.JSON {
		a.ui.EmitSummary(ui.Summary{Command: "envelope agencies", Total: n, Done: n})
	}
	return nil
}
