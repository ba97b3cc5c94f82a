package register

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vbdt/vbdt/internal/testpki/testenv"
	"github.com/vbdt/vbdt/number"
)

var (
	pg        *testenv.Postgres
	pgErr     error
	hanoi, _  = time.LoadLocation("Asia/Ho_Chi_Minh")
	dbCounter int
	dbMu      sync.Mutex
)

const helperEnv = "VBDT_REGISTER_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(allocatorHelper())
	}
	os.Exit(func() int {
		if testenv.PostgresMissing() == "" {
			pg, pgErr = testenv.StartPostgres()
			if pgErr != nil {
				fmt.Fprintln(os.Stderr, "starting PostgreSQL:", pgErr)
				return 1
			}
			defer pg.Stop()
		}
		return m.Run()
	}())
}

// backend is a register location maker.
type backend struct {
	name string
	new  func(t testing.TB) string
}

func backends() []backend {
	return []backend{
		{"sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "register.db") }},
		{"postgres", func(t testing.TB) string {
			testenv.Need(t, testenv.PostgresMissing())
			dbMu.Lock()
			dbCounter++
			name := fmt.Sprintf("vbdt_test_%d", dbCounter)
			dbMu.Unlock()
			dsn, err := pg.Database(name)
			if err != nil {
				t.Fatal(err)
			}
			return dsn
		}},
	}
}

func open(t testing.TB, location string) *Store {
	t.Helper()
	s, err := Open(context.Background(), location)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var chung = number.Series{Name: "chung", Kind: number.SeriesOutgoing}

func request(subject string, date time.Time) Request {
	return Request{Agency: "000.00.00.H99", Series: chung, Direction: Outgoing, Notation: "QĐ-UBND", Type: "QĐ",
		TypeName: "Quyết định", Subject: subject, Date: date, Location: hanoi, By: "văn thư"}
}

func TestRegisterLifecycle(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, b.new(t))
			now := time.Date(2026, 3, 5, 8, 45, 15, 0, hanoi)
			s.Now = func() time.Time { return now }
			var codes []string
			for i := range 12 {
				r := request(fmt.Sprintf("Quyết định số %d về việc thử nghiệm", i+1), now)
				r.Recipients = []string{"Như Điều 3;", "Lưu: VT."}
				e, err := s.Allocate(ctx, r)
				if err != nil {
					t.Fatal(err)
				}
				if e.Number != i+1 || e.Year != 2026 || e.Date != "2026-03-05" {
					t.Fatalf("entry %+v", e)
				}
				codes = append(codes, e.Code)
			}
			if codes[0] != "01/QĐ-UBND" || codes[8] != "09/QĐ-UBND" || codes[11] != "12/QĐ-UBND" {
				t.Errorf("codes %v", codes)
			}
			// an incoming document in its own series
			in, err := s.Allocate(ctx, Request{Agency: "000.00.00.H99", Series: number.Series{Name: "den", Kind: number.SeriesIncoming},
				Direction: Incoming, Subject: "V/v kết nối", Date: now, Location: hanoi, By: "văn thư",
				Sender: &Sender{Organ: "UBND xã Hòa Tiến", Code: "74/VPCP-TTĐT", Date: "2019-01-16"}})
			if err != nil || in.Number != 1 || in.Code != "01" || in.Sender == nil || in.Sender.Code != "74/VPCP-TTĐT" {
				t.Fatalf("incoming %+v %v", in, err)
			}

			ref := Ref{Series: "chung", Year: 2026, Number: 3}
			if _, err := s.Void(ctx, "000.00.00.H99", ref, "", "văn thư"); !errors.Is(err, ErrInvalid) {
				t.Errorf("void without reason: %v", err)
			}
			v, err := s.Void(ctx, "000.00.00.H99", ref, "văn bản bị hủy trước khi ban hành", "văn thư")
			if err != nil || !v.Void || len(v.History) != 1 {
				t.Fatalf("void: %+v %v", v, err)
			}
			if _, err := s.Void(ctx, "000.00.00.H99", ref, "again", "văn thư"); !errors.Is(err, ErrInvalid) {
				t.Errorf("double void: %v", err)
			}
			// the voided number is never handed out again
			next, err := s.Allocate(ctx, request("sau khi hủy", now))
			if err != nil || next.Number != 13 {
				t.Fatalf("after void: %+v %v", next, err)
			}
			c, err := s.Correct(ctx, "000.00.00.H99", Ref{Series: "chung", Year: 2026, Number: 5}, "subject", "Quyết định về việc sửa đổi", "sai chính tả", "trưởng phòng")
			if err != nil || c.Subject != "Quyết định về việc sửa đổi" || len(c.History) != 1 || c.History[0].By != "trưởng phòng" {
				t.Fatalf("correct: %+v %v", c, err)
			}
			for _, bad := range []struct{ field, value string }{{"number", "7"}, {"notation", "X"}, {"copies", "-1"}, {"date", "5/3/2026"}, {"subject", " "}} {
				if _, err := s.Correct(ctx, "000.00.00.H99", Ref{Series: "chung", Year: 2026, Number: 5}, bad.field, bad.value, "r", "u"); !errors.Is(err, ErrInvalid) {
					t.Errorf("correct %s=%q: %v", bad.field, bad.value, err)
				}
			}
			if _, err := s.Get(ctx, "000.00.00.H99", Ref{Series: "chung", Year: 2026, Number: 99}); !errors.Is(err, ErrNotFound) {
				t.Errorf("missing entry: %v", err)
			}
			got, err := s.Get(ctx, "000.00.00.H99", Ref{Series: "chung", Year: 2026, Number: 5})
			if err != nil || got.Subject != "Quyết định về việc sửa đổi" || len(got.Recipients) != 2 {
				t.Fatalf("get: %+v %v", got, err)
			}

			for _, tc := range []struct {
				f    Filter
				want int
			}{
				{Filter{}, 14},
				{Filter{Direction: Incoming}, 1},
				{Filter{Series: "chung", Year: 2026}, 13},
				{Filter{Year: 2025}, 0},
				{Filter{Text: "SỬA ĐỔI"}, 1}, // Vietnamese case folding
				{Filter{From: "2026-03-05", To: "2026-03-05", Type: "QĐ"}, 13},
				{Filter{From: "2026-03-06"}, 0},
			} {
				es, err := s.List(ctx, tc.f)
				if err != nil || len(es) != tc.want {
					t.Errorf("List(%+v) = %d entries, %v; want %d", tc.f, len(es), err, tc.want)
				}
			}
			rep, err := s.Audit(ctx, 2026)
			if err != nil || !rep.Consistent() || rep.Entries != 14 || rep.Series != 2 {
				t.Fatalf("audit %+v %v", rep, err)
			}
			if len(rep.Findings) != 1 || rep.Findings[0].Kind != "void" || rep.Findings[0].Number != 3 {
				t.Errorf("findings %+v", rep.Findings)
			}
		})
	}
}

// The register is append-only: the database itself refuses updates and deletes.
func TestAppendOnly(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := open(t, b.new(t))
			if _, err := s.Allocate(context.Background(), request("x", time.Now())); err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{`UPDATE entries SET number = 2`, `DELETE FROM entries`, `UPDATE entries SET subject = 'y'`} {
				if _, err := s.db.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
					t.Errorf("%s: %v", q, err)
				}
			}
		})
	}
}

// Legal-normative series carry the year in the code they hand out.
func TestLegalSeriesCode(t *testing.T) {
	s := open(t, backends()[0].new(t))
	r := request("Ban hành Quy định", time.Now())
	r.Series = number.Series{Name: "qppl-qd", Kind: number.SeriesLegal, Types: []string{"QĐ"}}
	e, err := s.Allocate(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("01/%d/QĐ-UBND", number.YearOf(time.Now(), hanoi))
	if e.Code != want {
		t.Fatalf("code %q, want %q", e.Code, want)
	}
	got, _ := s.Get(context.Background(), r.Agency, Ref{Series: "qppl-qd", Year: e.Year, Number: 1})
	if got.Code != want {
		t.Fatalf("stored code %q", got.Code)
	}
}

func TestRequestRules(t *testing.T) {
	s := open(t, backends()[0].new(t))
	ctx := context.Background()
	eve := time.Date(2026, 12, 31, 23, 30, 0, 0, hanoi)
	s.Now = func() time.Time { return eve }
	r := request("cuối năm", eve.UTC()) // the same instant in UTC is still 2026 in Hà Nội
	if e, err := s.Allocate(ctx, r); err != nil || e.Year != 2026 || e.Date != "2026-12-31" {
		t.Fatalf("new year's eve: %+v %v", e, err)
	}
	if _, err := s.Allocate(ctx, request("năm sau", time.Date(2027, 1, 1, 0, 10, 0, 0, hanoi))); !errors.Is(err, ErrInvalid) ||
		!strings.Contains(err.Error(), "lies in 2027") {
		t.Errorf("a date in next year: %v", err)
	}
	if _, err := s.Allocate(ctx, request("hôm trước", eve.AddDate(0, 0, -1))); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "order of dates") {
		t.Errorf("a date before the last entry: %v", err)
	}
	// ten minutes later it is 2027 in Hà Nội (still 2026 in UTC): the series restarts at 01
	s.Now = func() time.Time { return eve.Add(40 * time.Minute) }
	e, err := s.Allocate(ctx, request("đầu năm", s.Now().UTC()))
	if err != nil || e.Year != 2027 || e.Number != 1 || e.Code != "01/QĐ-UBND" {
		t.Fatalf("new year: %+v %v", e, err)
	}
	for name, mod := range map[string]func(*Request){
		"empty subject":   func(r *Request) { r.Subject = "  " },
		"long subject":    func(r *Request) { r.Subject = strings.Repeat("ư", MaxSubject+1) },
		"no agency":       func(r *Request) { r.Agency = "" },
		"no user":         func(r *Request) { r.By = "" },
		"no notation":     func(r *Request) { r.Notation = "" },
		"wrong direction": func(r *Request) { r.Direction = Incoming },
		"negative copies": func(r *Request) { r.Copies = -2 },
	} {
		r := request("x", s.Now())
		mod(&r)
		if _, err := s.Allocate(ctx, r); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	rep, _ := s.Audit(ctx, 0)
	if !rep.Consistent() || rep.Entries != 2 {
		t.Errorf("rejected requests left traces: %+v", rep)
	}
}

func TestReadOnlyRegisterFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "register.db")
	s := open(t, path)
	if _, err := s.Allocate(context.Background(), request("x", time.Now())); err != nil {
		t.Fatal(err)
	}
	s.Close()
	before, _ := os.ReadFile(path)
	makeReadOnly(t, path)
	// A read-only register (an archived copy, say) can still be read…
	ro, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if es, err := ro.List(context.Background(), Filter{}); err != nil || len(es) != 1 {
		t.Fatalf("reading a read-only register: %d entries, %v", len(es), err)
	}
	// …but allocating says why it cannot, and writes nothing.
	_, err = ro.Allocate(context.Background(), request("y", time.Now()))
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("allocating in a read-only file: %v", err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Fatal("the read-only file changed")
	}
}

// makeReadOnly makes path unwritable even for root (chattr +i), or by mode for other users.
func makeReadOnly(t *testing.T, path string) {
	if os.Getuid() != 0 {
		os.Chmod(path, 0o444)
		os.Chmod(filepath.Dir(path), 0o555)
		t.Cleanup(func() { os.Chmod(filepath.Dir(path), 0o755) })
		return
	}
	testenv.NeedTools(t, "chattr")
	if out, err := exec.Command("chattr", "+i", path).CombinedOutput(); err != nil {
		testenv.Need(t, fmt.Sprintf("chattr +i on this file system (%v: %s)", err, out))
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", path).Run() })
}

func TestUnreachablePostgres(t *testing.T) {
	_, err := Open(context.Background(), "postgres://clerk:s3cret@127.0.0.1:1/vbdt?connect_timeout=2")
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "does not answer") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("the password is shown: %v", err)
	}
}

func TestMissingFolder(t *testing.T) {
	_, err := Open(context.Background(), filepath.Join(t.TempDir(), "no", "such", "register.db"))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
}

// allocatorHelper runs in a child process: it allocates $COUNT numbers (0 = until killed).
func allocatorHelper() int {
	s, err := Open(context.Background(), os.Getenv(helperEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	count, _ := strconv.Atoi(os.Getenv("VBDT_HELPER_COUNT"))
	name := os.Getenv("VBDT_HELPER_NAME")
	for i := 0; count == 0 || i < count; i++ {
		r := request(fmt.Sprintf("%s #%d", name, i), time.Now())
		r.By = name
		if _, err := s.Allocate(context.Background(), r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
	}
	return 0
}

func allocator(location, name string, count int) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+location, "VBDT_HELPER_NAME="+name, "VBDT_HELPER_COUNT="+strconv.Itoa(count))
	cmd.Stderr = os.Stderr
	return cmd
}

// 8 processes × 200 allocations: exactly 1 600 distinct consecutive numbers.
func TestConcurrentProcesses(t *testing.T) {
	const procs, each = 8, 200
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			loc := b.new(t)
			open(t, loc).Close() // create the schema once; the race for it is tested by the kill test
			var wg sync.WaitGroup
			errs := make(chan error, procs)
			for p := range procs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := allocator(loc, fmt.Sprintf("proc-%d", p), each).Run(); err != nil {
						errs <- fmt.Errorf("allocator %d: %w", p, err)
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			s := open(t, loc)
			es, err := s.List(context.Background(), Filter{})
			if err != nil {
				t.Fatal(err)
			}
			seen := map[int]bool{}
			perProc := map[string]int{}
			for _, e := range es {
				if seen[e.Number] {
					t.Fatalf("number %d handed out twice", e.Number)
				}
				seen[e.Number] = true
				perProc[e.CreatedBy]++
			}
			if len(es) != procs*each {
				t.Fatalf("%d entries, want %d", len(es), procs*each)
			}
			for n := 1; n <= procs*each; n++ {
				if !seen[n] {
					t.Fatalf("number %d missing", n)
				}
			}
			for p := range procs {
				if got := perProc[fmt.Sprintf("proc-%d", p)]; got != each {
					t.Errorf("proc-%d registered %d, want %d", p, got, each)
				}
			}
			rep, err := s.Audit(context.Background(), 0)
			if err != nil || !rep.Consistent() {
				t.Fatalf("audit %+v %v", rep, err)
			}
		})
	}
}

// Allocators killed with SIGKILL at random moments — including while the schema is created —
// leave a consistent register: no gap, no duplicate, the counter at the last number.
func TestKillAllocators(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			loc := b.new(t)
			rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
			var watch *Store // opened once the first allocators run: they race to create the schema
			committed := 0
			for round := range 6 {
				var cmds []*exec.Cmd
				var stderrs []*bytes.Buffer
				stop := func() {
					for _, cmd := range cmds {
						cmd.Process.Kill()
						cmd.Wait()
					}
				}
				t.Cleanup(stop) // after a failure below; nothing is left to stop after the kills
				for p := range 4 {
					cmd := allocator(loc, fmt.Sprintf("round%d-proc%d", round, p), 0)
					var stderr bytes.Buffer // shown only if they never allocate: killed helpers may print half a message
					cmd.Stderr = &stderr
					if err := cmd.Start(); err != nil {
						t.Fatal(err)
					}
					cmds = append(cmds, cmd)
					stderrs = append(stderrs, &stderr)
				}
				if watch == nil {
					watch = open(t, loc)
				}
				// kill only once this round allocates: on a slow machine, allocators killed while
				// still starting would prove nothing
				if _, err := waitForEntries(watch, committed, time.Minute); err != nil {
					stop()
					for _, e := range stderrs {
						t.Log(e.String())
					}
					t.Fatalf("round %d: %v", round, err)
				}
				for _, cmd := range cmds {
					time.Sleep(time.Duration(20+rng.IntN(250)) * time.Millisecond)
					cmd.Process.Signal(syscall.SIGKILL)
				}
				for _, cmd := range cmds {
					cmd.Wait()
				}
				var err error
				if committed, err = countEntries(watch); err != nil {
					t.Fatal(err)
				}
			}
			s := open(t, loc)
			rep, err := s.Audit(context.Background(), 0)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Consistent() {
				t.Fatalf("inconsistent after kills: %+v", rep.Findings)
			}
			if rep.Entries == 0 {
				t.Fatal("no allocation happened before the kills: the test proved nothing")
			}
			// and allocation goes on from the last number
			e, err := s.Allocate(context.Background(), request("sau sự cố", time.Now()))
			if err != nil || e.Number != rep.Entries+1 {
				t.Fatalf("after kills: %+v %v (entries %d)", e, err, rep.Entries)
			}
			t.Logf("%d numbers committed across 24 killed allocators", rep.Entries)
		})
	}
}

// countEntries counts the register's entries, whoever committed them.
func countEntries(s *Store) (int, error) {
	var n int
	err := s.db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM entries`).Scan(&n)
	return n, err
}

// waitForEntries waits until the register holds more than n entries, and returns how many.
func waitForEntries(s *Store, n int, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for {
		got, err := countEntries(s)
		if err != nil {
			return 0, err
		}
		if got > n {
			return got, nil
		}
		if time.Now().After(deadline) {
			return got, fmt.Errorf("no allocation within %v (%d entries)", timeout, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// BenchmarkAllocate reports allocations per second with 1 and 8 concurrent allocators.
func BenchmarkAllocate(b *testing.B) {
	for _, be := range backends() {
		for _, workers := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/allocators=%d", be.name, workers), func(b *testing.B) {
				s := open(b, be.new(b))
				ctx := context.Background()
				b.ResetTimer()
				start := time.Now()
				var wg sync.WaitGroup
				jobs := make(chan int)
				for range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for range jobs {
							if _, err := s.Allocate(ctx, request("benchmark", time.Now())); err != nil {
								b.Error(err)
							}
						}
					}()
				}
				for i := 0; i < b.N; i++ {
					jobs <- i
				}
				close(jobs)
				wg.Wait()
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "allocs/s")
			})
		}
	}
}
