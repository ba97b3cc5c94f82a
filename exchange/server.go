package exchange

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	base64 "github.com/segmentio/asm/base64" // SIMD: 10-20x encoding/base64 on 1 MB bodies
	"github.com/vbdt/vbdt/envelope"
)

// System is a system allowed to call the stand-in, with its secret.
type System struct {
	ID     string `yaml:"id" json:"id"`
	Secret string `yaml:"secret" json:"-"`
}

// ServerConfig is how the stand-in behaves.
type ServerConfig struct {
	// Dir holds its state: state.db (SQLite) and the messages' files.
	Dir     string
	Systems []System
	// Directory is what getAgenciesList answers.
	Directory []Agency
	// Fault injection: a share of requests answered with a failure, a delay before every
	// answer, senders whose documents are refused.
	FailRate   float64
	Delay      time.Duration
	RejectFrom []string
	// MaxEnvelope bounds a sent envelope (default 1 GiB).
	MaxEnvelope int64
	// Log, when set, gets a line per request.
	Log func(RequestLog)
	Now func() time.Time
}

// RequestLog is one request served.
type RequestLog struct {
	Time      time.Time `json:"time"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	System    string    `json:"system,omitempty"`
	Status    string    `json:"status"`
	ErrorCode string    `json:"error_code"`
	ErrorDesc string    `json:"error_desc,omitempty"`
	DocID     string    `json:"doc_id,omitempty"`
	Bytes     int64     `json:"bytes,omitempty"`
	Millis    float64   `json:"ms"`
}

// Server is a local stand-in of the national exchange platform: the same paths, headers and
// answers, so that the platform's SDK and vbdt's client work against it unchanged. It verifies
// every signature and hash-file, routes each document to the systems in its To (a status
// message back to the sender of the document it answers), and keeps its state in SQLite.
type Server struct {
	cfg     ServerConfig
	secrets map[string]string
	known   map[string]bool // the directory's codes: a recipient must be one, or a system
	st      *store
	mu      sync.Mutex // serializes the random source of fault injection
	rnd     *rand.Rand
}

// Error codes of the stand-in (the real platform's are not known).
const (
	codeOK          = "0"
	codeSignature   = "401"
	codeFrom        = "403"
	codeBadRequest  = "400"
	codeNotFound    = "404"
	codeTooLarge    = "413"
	codeInternal    = "500"
	codeInjected    = "503"
	descOK          = "Thanh cong"
	defaultMaxBytes = 1 << 30
)

// NewServer opens (or creates) the stand-in's state in cfg.Dir.
func NewServer(cfg ServerConfig) (*Server, error) {
	if len(cfg.Systems) == 0 {
		return nil, errors.New("the stand-in knows no system: give each caller's id and secret")
	}
	secrets := map[string]string{}
	for _, s := range cfg.Systems {
		if s.ID == "" || s.Secret == "" {
			return nil, fmt.Errorf("system %q has no id or no secret", s.ID)
		}
		secrets[s.ID] = s.Secret
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxEnvelope <= 0 {
		cfg.MaxEnvelope = defaultMaxBytes
	}
	st, err := openStore(cfg.Dir)
	if err != nil {
		return nil, err
	}
	known := make(map[string]bool, len(cfg.Directory))
	for _, a := range cfg.Directory {
		known[a.Code] = true
	}
	return &Server{cfg: cfg, secrets: secrets, known: known, st: st, rnd: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}, nil
}

// Close closes the state.
func (s *Server) Close() error { return s.st.close() }

// reply is an answer being written: the envelope fields and the call's own.
type reply struct {
	w   http.ResponseWriter
	log RequestLog
}

func (r *reply) json(httpStatus int, code, desc string, extra map[string]any) {
	body := map[string]any{"status": "OK", "ErrorCode": code, "ErrorDesc": desc}
	if code != codeOK {
		body["status"] = "FAIL"
	}
	for k, v := range extra {
		body[k] = v
	}
	b, _ := json.Marshal(body)
	r.w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	r.w.WriteHeader(httpStatus)
	n, _ := r.w.Write(b)
	r.log.Status, r.log.ErrorCode, r.log.ErrorDesc, r.log.Bytes = body["status"].(string), code, desc, int64(n)
}

func (r *reply) fail(httpStatus int, code, desc string, extra map[string]any) {
	r.json(httpStatus, code, desc, extra)
}

// ServeHTTP answers a call of the platform's API.
func (s *Server) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	start := s.cfg.Now()
	r := &reply{w: w, log: RequestLog{Time: start, Method: req.Method, Path: req.URL.Path}}
	defer func() {
		r.log.Millis = float64(time.Since(start).Microseconds()) / 1000
		if s.cfg.Log != nil {
			s.cfg.Log(r.log)
		}
	}()
	if s.cfg.Delay > 0 {
		select {
		case <-time.After(s.cfg.Delay):
		case <-req.Context().Done():
			return
		}
	}
	// sendEdoc's failures carry a DocId, or the SDK returns null
	var extra map[string]any
	if req.URL.Path == PathSend {
		extra = map[string]any{"DocId": ""}
	}
	ps, err := VerifyHeaders(req.Header, func(id string) string { return s.secrets[id] })
	r.log.System = ps.Get("systemid") // who claims to call, signed or not
	if err != nil {
		r.fail(http.StatusUnauthorized, codeSignature, err.Error(), extra)
		return
	}
	system := ps.Get("systemid")
	if _, err := ParseTimestamp(ps.Get("timestamp"), time.Local); err != nil {
		r.fail(http.StatusUnauthorized, codeSignature, err.Error(), extra)
		return
	}
	if s.injected() {
		r.fail(http.StatusServiceUnavailable, codeInjected, "injected failure (--fail-rate)", extra)
		return
	}
	wantMethod := http.MethodPost
	if req.URL.Path == PathDownloadEdoc {
		wantMethod = http.MethodGet
	}
	if req.Method != wantMethod {
		r.fail(http.StatusMethodNotAllowed, codeBadRequest, fmt.Sprintf("%s wants %s", req.URL.Path, wantMethod), extra)
		return
	}
	if req.URL.Path != PathSend {
		// the {} (or nothing) other calls send is read first: a client that sent Expect:
		// 100-continue gets its 100 Continue, as the SDK's HttpClient waits for
		io.Copy(io.Discard, io.LimitReader(req.Body, 1<<20))
	}
	ctx := req.Context()
	switch req.URL.Path {
	case PathAgencies:
		s.agencies(r)
	case PathSend:
		s.send(ctx, r, req, ps)
	case PathReceived:
		list, err := s.st.inbox(ctx, system, messageType(ps))
		s.answerList(r, list, err)
	case PathSent:
		list, err := s.st.sent(ctx, system, messageType(ps), ps.Get("docId"))
		s.answerList(r, list, err)
	case PathGetEdoc, PathDownloadEdoc:
		s.getEdoc(ctx, r, system, ps.Get("docId"), req.URL.Path == PathDownloadEdoc)
	case PathUpdateStatus:
		s.updateStatus(ctx, r, system, ps)
	case PathCountEdoc, PathCountStatus:
		kind := MessageEdoc
		if req.URL.Path == PathCountStatus {
			kind = MessageStatus
		}
		n, err := s.st.count(ctx, system, kind)
		if err != nil {
			r.fail(http.StatusInternalServerError, codeInternal, err.Error(), nil)
			return
		}
		r.json(http.StatusOK, codeOK, descOK, map[string]any{"count": n})
	default:
		r.fail(http.StatusNotFound, codeNotFound, "no such call: "+req.URL.Path, nil)
	}
}

func messageType(ps Params) string {
	if t := ps.Get("messagetype"); t != "" {
		return t
	}
	return MessageEdoc
}

func (s *Server) injected() bool {
	if s.cfg.FailRate <= 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rnd.Float64() < s.cfg.FailRate
}

func (s *Server) answerList(r *reply, list any, err error) {
	if err != nil {
		r.fail(http.StatusInternalServerError, codeInternal, err.Error(), nil)
		return
	}
	r.json(http.StatusOK, codeOK, descOK, map[string]any{"data": list})
}

// agencies streams the directory as JSON, an entry at a time.
func (s *Server) agencies(r *reply) {
	r.w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	bw := bufio.NewWriterSize(r.w, 64<<10)
	bw.WriteString(`{"status":"OK","ErrorCode":"0","ErrorDesc":"Thanh cong","data":[`)
	for i, a := range s.cfg.Directory {
		if i > 0 {
			bw.WriteByte(',')
		}
		b, _ := json.Marshal(a)
		bw.Write(b)
	}
	bw.WriteString("]}")
	bw.Flush()
	r.log.Status, r.log.ErrorCode = "OK", codeOK
}

// send receives an envelope: the signed from must be the caller, the hash-file the body's, the
// body an edXML envelope; a document goes to each system in its To (or the to header), a status
// message to the organizations it answers.
func (s *Server) send(ctx context.Context, r *reply, req *http.Request, ps Params) {
	extra := map[string]any{"DocId": ""}
	system, from := ps.Get("systemid"), ps.Get("from")
	if from != system {
		r.fail(http.StatusForbidden, codeFrom, fmt.Sprintf("Don vi gui %s khong dung voi ma da dang ky: %s", from, system), extra)
		return
	}
	if slices.Contains(s.cfg.RejectFrom, from) {
		r.fail(http.StatusForbidden, codeFrom, fmt.Sprintf("Don vi gui %s bi tu choi (--reject-from)", from), extra)
		return
	}
	kind := messageType(ps)
	if kind != MessageEdoc && kind != MessageStatus {
		r.fail(http.StatusBadRequest, codeBadRequest, fmt.Sprintf("messagetype %q is neither edoc nor status", kind), extra)
		return
	}
	docID := newID()
	path := s.st.messagePath(docID)
	size, sum, err := s.receiveBody(req.Body, path)
	if err != nil {
		code := codeBadRequest
		if errors.Is(err, errTooLarge) {
			code = codeTooLarge
		}
		r.fail(http.StatusBadRequest, code, err.Error(), extra)
		return
	}
	keep := false
	defer func() {
		if !keep {
			os.Remove(path)
		}
	}()
	if got := ps.Get("hash-file"); got != HashFile(sum) && !strings.EqualFold(got, hex.EncodeToString(sum)) {
		r.fail(http.StatusBadRequest, codeBadRequest, fmt.Sprintf("hash-file %q is not the SHA-256 of the %d bytes received", got, size), extra)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		r.fail(http.StatusInternalServerError, codeInternal, err.Error(), extra)
		return
	}
	h, err := envelope.ReadHeader(f)
	f.Close()
	if err != nil {
		r.fail(http.StatusBadRequest, codeBadRequest, "not an edXML envelope: "+err.Error(), extra)
		return
	}
	if h.IsDocument() != (kind == MessageEdoc) {
		r.fail(http.StatusBadRequest, codeBadRequest, fmt.Sprintf("messagetype %s, but the envelope is a %s", kind, map[bool]string{true: "document", false: "status message"}[h.IsDocument()]), extra)
		return
	}
	to, err := recipients(ps.Get("to"), h)
	if err != nil {
		r.fail(http.StatusBadRequest, codeBadRequest, err.Error(), extra)
		return
	}
	for _, t := range to {
		if _, system := s.secrets[t]; !system && !s.known[t] {
			r.fail(http.StatusBadRequest, codeNotFound, fmt.Sprintf("Don vi nhan %s khong ton tai", t), extra)
			return
		}
	}
	m := message{docID: docID, from: from, messageType: kind, title: h.Subject, notation: h.CodeText(), size: size, to: to}
	if err := s.st.add(ctx, m, s.cfg.Now()); err != nil {
		r.fail(http.StatusInternalServerError, codeInternal, err.Error(), extra)
		return
	}
	keep = true
	r.log.DocID = docID
	r.json(http.StatusOK, codeOK, descOK, map[string]any{"DocId": docID})
}

var errTooLarge = errors.New("the envelope is too large")

// receiveBody writes a sent body to path, without the CRLF the SDK appends, and returns its
// size and SHA-256.
func (s *Server) receiveBody(body io.Reader, path string) (int64, []byte, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, nil, err
	}
	h := sha256.New()
	bw := bufio.NewWriterSize(f, 256<<10)
	w := io.MultiWriter(bw, h)
	// the last two bytes are held back until more come: a trailing CRLF is not the file's
	var tail [2]byte
	held := 0
	buf := make([]byte, 256<<10)
	var n int64
	for {
		k, rerr := body.Read(buf)
		if k > 0 {
			// of held+buf[:k], all but the last two bytes are the file's
			out := held + k - 2
			if out > 0 {
				fromTail := min(held, out)
				w.Write(tail[:fromTail])
				w.Write(buf[:out-fromTail])
				n += int64(out)
			}
			// the last two bytes of held+buf[:k] are held
			last := append(append(make([]byte, 0, 4), tail[:held]...), buf[max(0, k-2):k]...)
			held = copy(tail[:], last[max(0, len(last)-2):])
			if n > s.cfg.MaxEnvelope {
				f.Close()
				return 0, nil, fmt.Errorf("%w (more than %d bytes)", errTooLarge, s.cfg.MaxEnvelope)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			f.Close()
			return 0, nil, fmt.Errorf("reading the envelope: %w", rerr)
		}
	}
	if !bytes.Equal(tail[:held], []byte("\r\n")) {
		w.Write(tail[:held])
		n += int64(held)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return 0, nil, err
	}
	if err := f.Close(); err != nil {
		return 0, nil, err
	}
	if n == 0 {
		return 0, nil, errors.New("the body is empty: sendEdoc carries the envelope's bytes")
	}
	return n, h.Sum(nil), nil
}

// recipients are the to header's (a JSON list, or one code), else the envelope's: a
// document's To, a status message's ResponseFor.
func recipients(header string, h *envelope.MessageHeader) ([]string, error) {
	var to []string
	switch header = strings.TrimSpace(header); {
	case strings.HasPrefix(header, "["):
		if err := json.Unmarshal([]byte(header), &to); err != nil {
			return nil, fmt.Errorf("the to header %q is not a JSON list of codes", header)
		}
	case header != "":
		to = strings.Split(header, ",")
	case h.IsDocument():
		for _, o := range h.To {
			to = append(to, o.OrganID)
		}
	default:
		for _, r := range h.ResponseFor {
			to = append(to, r.OrganID)
		}
	}
	var out []string
	for _, t := range to {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("the envelope names no recipient (To, or ResponseFor for a status message)")
	}
	return out, nil
}

// getEdoc answers a document addressed to the caller: as JSON with base64 data (getEdoc) or
// raw (downloadEdoc).
func (s *Server) getEdoc(ctx context.Context, r *reply, system, receiverDocID string, raw bool) {
	docID, err := s.st.delivery(ctx, system, receiverDocID)
	if errors.Is(err, sql.ErrNoRows) {
		r.fail(http.StatusNotFound, codeNotFound, fmt.Sprintf("Khong tim thay van ban %s cua don vi %s", receiverDocID, system), nil)
		return
	}
	if err != nil {
		r.fail(http.StatusInternalServerError, codeInternal, err.Error(), nil)
		return
	}
	f, err := os.Open(s.st.messagePath(docID))
	if err != nil {
		r.fail(http.StatusInternalServerError, codeInternal, err.Error(), nil)
		return
	}
	defer f.Close()
	r.log.DocID = receiverDocID
	if raw {
		r.w.Header().Set("Content-Type", "application/octet-stream")
		n, _ := io.Copy(r.w, f)
		r.log.Status, r.log.ErrorCode, r.log.Bytes = "OK", codeOK, n
		return
	}
	const head, tail = `{"status":"OK","ErrorCode":"0","ErrorDesc":"Thanh cong","data":"`, `"}`
	if fi, err := f.Stat(); err == nil {
		r.w.Header().Set("Content-Length", strconv.FormatInt(int64(len(head)+len(tail))+int64(base64.StdEncoding.EncodedLen(int(fi.Size()))), 10))
	}
	r.w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	io.WriteString(r.w, head)
	// base64 in 192 KB blocks, each a whole number of quantums, straight to the connection
	in := make([]byte, 3<<16)
	out := make([]byte, base64.StdEncoding.EncodedLen(len(in)))
	var n int64
	for {
		k, err := io.ReadFull(f, in)
		if k > 0 {
			base64.StdEncoding.Encode(out, in[:k])
			if _, werr := r.w.Write(out[:base64.StdEncoding.EncodedLen(k)]); werr != nil {
				break
			}
			n += int64(k)
		}
		if err != nil {
			break
		}
	}
	io.WriteString(r.w, tail)
	r.log.Status, r.log.ErrorCode, r.log.Bytes = "OK", codeOK, n
}

func (s *Server) updateStatus(ctx context.Context, r *reply, system string, ps Params) {
	status, docID := strings.TrimSpace(ps.Get("status")), ps.Get("docId")
	if status == "" || docID == "" {
		r.fail(http.StatusBadRequest, codeBadRequest, "updateStatus needs the status and docId headers", nil)
		return
	}
	ok, err := s.st.acknowledge(ctx, system, docID, status, s.cfg.Now())
	switch {
	case err != nil:
		r.fail(http.StatusInternalServerError, codeInternal, err.Error(), nil)
	case !ok:
		r.fail(http.StatusNotFound, codeNotFound, fmt.Sprintf("Khong tim thay van ban %s cua don vi %s", docID, system), nil)
	default:
		r.log.DocID = docID
		r.json(http.StatusOK, codeOK, descOK, nil)
	}
}
