package exchange

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the stand-in's state: one SQLite file in its folder
)

// store is the stand-in's state: messages (their bytes in files beside the database) and their
// delivery to each recipient.
type store struct {
	db  *sql.DB
	dir string
}

const storeSchema = `
CREATE TABLE IF NOT EXISTS messages (
	doc_id TEXT PRIMARY KEY, from_code TEXT NOT NULL, message_type TEXT NOT NULL, service_type TEXT NOT NULL,
	title TEXT NOT NULL, notation TEXT NOT NULL, size INTEGER NOT NULL, sent_time TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
	receiver_doc_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES messages(doc_id), to_code TEXT NOT NULL,
	status TEXT NOT NULL, status_desc TEXT NOT NULL, created_time TEXT NOT NULL, updated_time TEXT NOT NULL,
	received_time TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS deliveries_inbox ON deliveries(to_code, status);
CREATE INDEX IF NOT EXISTS deliveries_doc ON deliveries(doc_id);
`

func openStore(dir string) (*store, error) {
	// messages are spread over 256 folders by the first two digits of their id: one folder of
	// thousands of files makes each new one slower to create
	for i := range 256 {
		if err := os.MkdirAll(filepath.Join(dir, "messages", fmt.Sprintf("%02x", i)), 0o700); err != nil {
			return nil, err
		}
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(30000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "state.db")+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1) // one writer; the stand-in serves a test's traffic, not a nation's
	if _, err := db.Exec(storeSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("exchange state %s: %w", dir, err)
	}
	return &store{db: db, dir: dir}, nil
}

func (s *store) close() error { return s.db.Close() }

// messagePath is where a message's bytes are kept.
func (s *store) messagePath(docID string) string {
	return filepath.Join(s.dir, "messages", docID[:2], docID+".edxml")
}

// newID is a document id of the real platform's shape: 24 hex digits.
func newID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

const timeLayout = "2006-01-02 15:04:05"

// message is a sent envelope and its recipients.
type message struct {
	docID, from, messageType, title, notation string
	size                                      int64
	to                                        []string
}

// add records a message (its file already in place) and a delivery to each recipient.
func (s *store) add(ctx context.Context, m message, now time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	t := now.Format(timeLayout)
	if _, err := tx.ExecContext(ctx, `INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		m.docID, m.from, m.messageType, ServiceEdoc, m.title, m.notation, m.size, t); err != nil {
		return err
	}
	for _, to := range m.to {
		if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries VALUES (?, ?, ?, 'new', 'Chờ nhận', ?, ?, '')`,
			newID(), m.docID, to, t, t); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// inbox lists what waits for a system: deliveries not acknowledged done or fail.
func (s *store) inbox(ctx context.Context, to, messageType string) ([]Received, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT d.receiver_doc_id, m.message_type, d.created_time, d.updated_time, m.from_code, d.to_code,
		d.status, d.status_desc FROM deliveries d JOIN messages m USING (doc_id)
		WHERE d.to_code = ? AND m.message_type = ? AND d.status NOT IN ('done', 'fail') ORDER BY d.created_time, d.rowid`, to, messageType)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Received{}
	for rows.Next() {
		r := Received{ServiceType: ServiceEdoc}
		if err := rows.Scan(&r.DocID, &r.MessageType, &r.CreatedTime, &r.UpdatedTime, &r.From, &r.To, &r.Status, &r.StatusDesc); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// delivery finds a delivery to a system by its receiver document id: the message's file.
func (s *store) delivery(ctx context.Context, to, receiverDocID string) (docID string, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT doc_id FROM deliveries WHERE receiver_doc_id = ? AND to_code = ?`, receiverDocID, to).Scan(&docID)
	return docID, err
}

// acknowledge records a receiver's updateStatus.
func (s *store) acknowledge(ctx context.Context, to, receiverDocID, status string, now time.Time) (bool, error) {
	desc := map[string]string{AckDone: "Đã nhận", AckFail: "Nhận lỗi", AckProcessing: "Đang xử lý"}[status]
	if desc == "" {
		desc = status
	}
	t := now.Format(timeLayout)
	res, err := s.db.ExecContext(ctx, `UPDATE deliveries SET status = ?, status_desc = ?, updated_time = ?,
		received_time = CASE WHEN ? = 'done' THEN ? ELSE received_time END WHERE receiver_doc_id = ? AND to_code = ?`,
		status, desc, t, status, t, receiverDocID, to)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// sent lists the deliveries of what a system sent.
func (s *store) sent(ctx context.Context, from, messageType, docID string) ([]Sent, error) {
	q := `SELECT m.message_type, m.doc_id, d.receiver_doc_id, m.from_code, d.to_code, m.title, m.notation, m.sent_time,
		d.received_time, d.status, d.status_desc FROM messages m JOIN deliveries d USING (doc_id) WHERE m.from_code = ? AND m.message_type = ?`
	args := []any{from, messageType}
	if docID != "" {
		q += ` AND m.doc_id = ?`
		args = append(args, docID)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY m.sent_time, m.rowid, d.rowid`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Sent{}
	for rows.Next() {
		r := Sent{ServiceType: ServiceEdoc, SendStatus: "sent", SendStatusDesc: "Đã gửi"}
		if err := rows.Scan(&r.MessageType, &r.SenderDocID, &r.ReceiverDocID, &r.FromCode, &r.ToCode, &r.Title, &r.Notation,
			&r.SentTime, &r.ReceivedTime, &r.ReceiveStatus, &r.ReceiveStatusDesc); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// count is how many deliveries of a type wait for a system.
func (s *store) count(ctx context.Context, to, messageType string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM deliveries d JOIN messages m USING (doc_id)
		WHERE d.to_code = ? AND m.message_type = ? AND d.status NOT IN ('done', 'fail')`, to, messageType).Scan(&n)
	return n, err
}
