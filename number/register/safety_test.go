package register

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vbdt/vbdt/internal/fonts"
	"github.com/vbdt/vbdt/internal/testpki/testenv"
)

const agency = "000.00.00.H99"

// A future date is refused unless allowed; once allowed, a correction or a void of the
// future-dated entry lets the series go on.
func TestFutureDate(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, b.new(t))
			now := time.Date(2026, 11, 10, 9, 0, 0, 0, hanoi)
			s.Now = func() time.Time { return now }
			future := time.Date(2026, 12, 30, 9, 0, 0, 0, hanoi)
			if _, err := s.Allocate(ctx, request("tương lai", future)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "after today") {
				t.Fatalf("a future date: %v", err)
			}
			// late in the evening UTC is already tomorrow in Hà Nội: still today there
			if _, err := s.Allocate(ctx, request("hôm nay", now.Add(14*time.Hour).UTC())); err != nil {
				t.Fatalf("today in Hà Nội: %v", err)
			}
			r := request("tương lai, được phép", future)
			r.AllowFuture = true
			e, err := s.Allocate(ctx, r)
			if err != nil || e.Number != 2 {
				t.Fatalf("an allowed future date: %+v %v", e, err)
			}
			if _, err := s.Allocate(ctx, request("bị chặn", now)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "order of dates") {
				t.Fatalf("after a future entry: %v", err)
			}
			// a correction of the date unblocks the series
			if _, err := s.Correct(ctx, agency, Ref{Series: "chung", Year: 2026, Number: 2}, "date", "2026-11-10", "nhầm ngày", "văn thư"); err != nil {
				t.Fatal(err)
			}
			if e, err := s.Allocate(ctx, request("sau đính chính", now)); err != nil || e.Number != 3 {
				t.Fatalf("after correcting the date: %+v %v", e, err)
			}
			// a void does too
			e, err = s.Allocate(ctx, r)
			if err != nil || e.Number != 4 {
				t.Fatalf("future again: %+v %v", e, err)
			}
			if _, err := s.Void(ctx, agency, Ref{Series: "chung", Year: 2026, Number: 4}, "ngày sai", "văn thư"); err != nil {
				t.Fatal(err)
			}
			if e, err := s.Allocate(ctx, request("sau khi hủy", now)); err != nil || e.Number != 5 {
				t.Fatalf("after voiding the future entry: %+v %v", e, err)
			}
			if rep, err := s.Audit(ctx, 0); err != nil || !rep.Consistent() {
				t.Fatalf("audit: %+v %v", rep, err)
			}
		})
	}
}

// Corrections and voids are checked: the date stays in the entry's year and in order, the
// notation named must be the entry's, a hash has its form.
func TestAmendmentRules(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, b.new(t))
			now := time.Date(2026, 11, 10, 9, 0, 0, 0, hanoi)
			s.Now = func() time.Time { return now }
			for _, d := range []time.Time{now.AddDate(0, 0, -5), now.AddDate(0, 0, -3), now} {
				if _, err := s.Allocate(ctx, request("x", d)); err != nil {
					t.Fatal(err)
				}
			}
			ref := Ref{Series: "chung", Year: 2026, Number: 2}
			hash := "sha256:" + strings.Repeat("ab", 32)
			for _, tc := range []struct{ field, value, want string }{
				{"date", "2025-11-07", "2026"},
				{"date", "2027-01-02", "2026"},
				{"date", "2026-11-11", "after today"},
				{"date", "2026-11-01", "order"}, // before 01
				{"date", "2026-11-10", ""},      // the same day as 03 is in order
				{"doc_hash", "abc", "sha256:"},
				{"doc_hash", "sha256:" + strings.Repeat("g", 64), "sha256:"},
				{"doc_hash", "sha256:" + strings.Repeat("a", 63), "sha256:"},
				{"doc_hash", hash, ""},
			} {
				_, err := s.Correct(ctx, agency, ref, tc.field, tc.value, "r", "u")
				if tc.want == "" && err != nil {
					t.Errorf("correct %s=%s: %v", tc.field, tc.value, err)
				}
				if tc.want != "" && (!errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want)) {
					t.Errorf("correct %s=%s: %v, want an invalid request about %q", tc.field, tc.value, err, tc.want)
				}
			}
			// the notation given must be the entry's
			other := ref
			other.Notation = "QĐ-KHAC"
			if _, err := s.Void(ctx, agency, other, "r", "u"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "QĐ-UBND") {
				t.Fatalf("voiding 02/QĐ-KHAC: %v", err)
			}
			if _, err := s.Correct(ctx, agency, other, "subject", "y", "r", "u"); !errors.Is(err, ErrInvalid) {
				t.Fatalf("correcting 02/QĐ-KHAC: %v", err)
			}
			if e, err := s.Get(ctx, agency, ref); err != nil || e.Void || e.Date != "2026-11-10" || e.DocHash != hash {
				t.Fatalf("entry %+v %v", e, err)
			}
			same := ref
			same.Notation = "QĐ-UBND"
			if e, err := s.Void(ctx, agency, same, "r", "u"); err != nil || !e.Void {
				t.Fatalf("voiding 02/QĐ-UBND: %+v %v", e, err)
			}
			// a bad hash at allocation too
			r := request("y", now)
			r.DocHash = "md5:abc"
			if _, err := s.Allocate(ctx, r); !errors.Is(err, ErrInvalid) {
				t.Fatalf("allocating with a bad hash: %v", err)
			}
		})
	}
}

// Only a creating open makes a register; every open refuses a database that is not one, and
// changes nothing in it.
func TestOpenWrongRegister(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	missing := filepath.Join(dir, "typo.db")
	for _, access := range []Access{Read, Write} {
		_, err := OpenFor(ctx, missing, access)
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "no register") {
			t.Errorf("access %d on a missing file: %v", access, err)
		}
		if _, serr := os.Stat(missing); serr == nil {
			t.Fatalf("access %d created %s", access, missing)
		}
	}

	foreign := filepath.Join(dir, "foreign.db")
	db, err := sql.Open("sqlite", foreign)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)`, `INSERT INTO customers (name) VALUES ('An')`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	// vbdt's tables without the schema marker are not a register either
	marker := filepath.Join(dir, "nomarker.db")
	db, _ = sql.Open("sqlite", marker)
	for _, q := range []string{`CREATE TABLE entries (id INTEGER)`, `CREATE TABLE counters (id INTEGER)`, `CREATE TABLE amendments (id INTEGER)`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	for _, path := range []string{foreign, marker} {
		before, _ := os.ReadFile(path)
		for _, access := range []Access{Create, Write, Read} {
			_, err := OpenFor(ctx, path, access)
			if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "not a vbdt register") {
				t.Errorf("%s, access %d: %v", filepath.Base(path), access, err)
			}
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Errorf("%s was changed", filepath.Base(path))
		}
		for _, sfx := range []string{"-wal", "-shm", "-journal"} {
			if _, err := os.Stat(path + sfx); err == nil {
				t.Errorf("%s%s was left behind", filepath.Base(path), sfx)
			}
		}
	}

	if pg != nil {
		dsn, err := pg.Database("vbdt_foreign")
		if err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(`CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)`); err != nil {
			t.Fatal(err)
		}
		for _, access := range []Access{Create, Read} {
			if _, err := OpenFor(ctx, dsn, access); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "not a vbdt register") {
				t.Errorf("postgres, access %d: %v", access, err)
			}
		}
		var n int
		db.QueryRow(`SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&n)
		if n != 1 {
			t.Errorf("the foreign PostgreSQL database has %d tables now", n)
		}
	}
}

// A read-only session leaves no -wal/-shm behind that would lock writers out later.
func TestReadOnlySessionLeavesNoJournal(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "register.db")
	s := open(t, path)
	if _, err := s.Allocate(ctx, request("x", time.Now())); err != nil {
		t.Fatal(err)
	}
	s.Close()
	makeReadOnly(t, path)
	for _, access := range []Access{Read, Create} { // a reading command, and a writer on a read-only file
		ro, err := OpenFor(ctx, path, access)
		if err != nil {
			t.Fatal(err)
		}
		if es, err := ro.List(ctx, Filter{}); err != nil || len(es) != 1 {
			t.Fatalf("reading: %d entries, %v", len(es), err)
		}
		if _, err := ro.Allocate(ctx, request("y", time.Now())); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "read-only") {
			t.Fatalf("allocating in a read-only file: %v", err)
		}
		ro.Close()
	}
	for _, sfx := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(path + sfx); err == nil {
			t.Errorf("the read-only session left %s", filepath.Base(path+sfx))
		}
	}
	// writable again: a writer works
	if os.Getuid() == 0 {
		exec.Command("chattr", "-i", path).Run()
	}
	os.Chmod(filepath.Dir(path), 0o755)
	os.Chmod(path, 0o644)
	w, err := OpenFor(ctx, path, Create)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if e, err := w.Allocate(ctx, request("z", time.Now())); err != nil || e.Number != 2 {
		t.Fatalf("writing after the read-only session: %+v %v", e, err)
	}
}

// A reading open of a writable register leaves no -wal/-shm either, and still sees what a
// writer has committed but not yet checkpointed.
func TestReadingLeavesNoJournal(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "register.db")
	w := open(t, path)
	if _, err := w.Allocate(ctx, request("x", time.Now())); err != nil {
		t.Fatal(err)
	}
	r, err := OpenFor(ctx, path, Read) // while the writer is open: its WAL holds the entry
	if err != nil {
		t.Fatal(err)
	}
	if es, err := r.List(ctx, Filter{}); err != nil || len(es) != 1 {
		t.Fatalf("reading beside a writer: %d entries, %v", len(es), err)
	}
	r.Close()
	w.Close()
	r, err = OpenFor(ctx, path, Read)
	if err != nil {
		t.Fatal(err)
	}
	if es, err := r.List(ctx, Filter{}); err != nil || len(es) != 1 {
		t.Fatalf("reading: %d entries, %v", len(es), err)
	}
	r.Close()
	for _, sfx := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(path + sfx); err == nil {
			t.Errorf("reading left %s", filepath.Base(path+sfx))
		}
	}
}

// A character outside the BMP (an emoji, which issue accepts) never crashes the printed register.
func TestBookPDFOutsideBMP(t *testing.T) {
	face, err := fonts.Find("")
	testenv.Need(t, errString(err))
	s := open(t, backends()[0].new(t))
	ctx := context.Background()
	r := request("Chúc mừng năm mới 🎉 𝔸", time.Now())
	r.Signer = "Nguyễn Văn Ấn 😀"
	if _, err := s.Allocate(ctx, r); err != nil {
		t.Fatal(err)
	}
	es, err := s.List(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteBookPDF(&buf, BookInfo{Agency: "ỦY BAN 🏛", Year: 2026, Direction: Outgoing, Font: face}, es); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatal("no PDF")
	}
}

// 8 allocator processes, killed at random with SIGKILL and restarted, over a few hundred
// allocations: the register stays consecutive, without duplicates, and the series goes on.
func TestSoakKill(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test")
	}
	const procs, target = 8, 600
	loc := filepath.Join(t.TempDir(), "register.db")
	watch := open(t, loc)
	deadline := time.Now().Add(40 * time.Second) // a safety net, not a timing assertion
	var mu sync.Mutex
	kills, starts := 0, 0
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(p)))
			for gen := 0; ; gen++ {
				select {
				case <-stop:
					return
				default:
				}
				cmd := allocator(loc, fmt.Sprintf("soak-%d-%d", p, gen), 0)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				if err := cmd.Start(); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				starts++
				mu.Unlock()
				select {
				case <-stop:
				case <-time.After(time.Duration(10+rng.IntN(150)) * time.Millisecond):
				}
				cmd.Process.Signal(syscall.SIGKILL)
				err := cmd.Wait()
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
					t.Errorf("allocator %d/%d ended by itself (%v): %s", p, gen, err, stderr.String())
					return
				}
				mu.Lock()
				kills++
				mu.Unlock()
			}
		}()
	}
	n := 0
	for n < target && time.Now().Before(deadline) && !t.Failed() {
		time.Sleep(50 * time.Millisecond)
		var err error
		if n, err = countEntries(watch); err != nil {
			t.Error(err)
			break
		}
	}
	close(stop)
	wg.Wait()
	rep, err := watch.Audit(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Consistent() {
		t.Fatalf("inconsistent after %d kills: %+v", kills, rep.Findings)
	}
	if rep.Entries < 50 {
		t.Fatalf("only %d allocations in the time given: the test proved little", rep.Entries)
	}
	e, err := watch.Allocate(context.Background(), request("sau thử tải", time.Now()))
	if err != nil || e.Number != rep.Entries+1 {
		t.Fatalf("the series is blocked after the soak: %+v %v (entries %d)", e, err, rep.Entries)
	}
	t.Logf("%d numbers, %d allocator processes started, %d killed", rep.Entries, starts, kills)
}

// Text that is not UTF-8 or holds control characters is refused; a summary's line breaks
// become spaces.
func TestRequestTexts(t *testing.T) {
	for _, bad := range []string{"bad \xff byte", "an \x1b[2J escape", "a bell\a", "Trojan \u202e source"} {
		r := Request{Subject: bad}
		if err := r.checkTexts(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	r := Request{Subject: "Về việc\nban hành\tQuy chế", Recipients: []string{"Lưu: VT."}}
	if err := r.checkTexts(); err != nil || r.Subject != "Về việc ban hành Quy chế" {
		t.Errorf("%q %v", r.Subject, err)
	}
	r = Request{Subject: "x", Recipients: []string{"Như \x1b Điều 3"}}
	if err := r.checkTexts(); !errors.Is(err, ErrInvalid) {
		t.Errorf("a recipient with ESC: %v", err)
	}
}
