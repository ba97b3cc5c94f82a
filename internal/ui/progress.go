package ui

import (
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// Progress tracks batch work. It is safe for concurrent use.
type Progress interface {
	// Add records n more items done.
	Add(n int)
	// Done ends the display; call it once, also after an error.
	Done()
}

// NewProgress returns a progress display for total items: a bar on a terminal stderr,
// periodic `status` JSON lines (every interval) in JSON mode, nothing otherwise.
func (u *UI) NewProgress(name string, total int, interval time.Duration) Progress {
	switch {
	case u.JSON:
		return newStatusProgress(u, name, total, interval)
	case u.ErrTTY && !u.Quiet:
		p := mpb.New(mpb.WithOutput(u.Err), mpb.WithWidth(40), mpb.WithAutoRefresh())
		bar := p.AddBar(int64(total),
			mpb.PrependDecorators(decor.Name(name+" "), decor.CountersNoUnit("%d/%d")),
			mpb.AppendDecorators(decor.Percentage(), decor.Name(" "), decor.EwmaETA(decor.ET_STYLE_GO, 30)),
		)
		return &barProgress{p: p, bar: bar, total: total}
	}
	return nopProgress{}
}

type nopProgress struct{}

func (nopProgress) Add(int) {}
func (nopProgress) Done()   {}

type barProgress struct {
	p     *mpb.Progress
	bar   *mpb.Bar
	total int
}

func (b *barProgress) Add(n int) { b.bar.EwmaIncrBy(n, time.Second) }
func (b *barProgress) Done() {
	if !b.bar.Completed() {
		b.bar.Abort(false)
	}
	b.p.Wait()
}

type statusProgress struct {
	u     *UI
	name  string
	total int
	start time.Time
	incr  chan int
	done  chan struct{}
	ended chan struct{}
}

func newStatusProgress(u *UI, name string, total int, interval time.Duration) *statusProgress {
	s := &statusProgress{u: u, name: name, total: total, start: time.Now(),
		incr: make(chan int, 64), done: make(chan struct{}), ended: make(chan struct{})}
	go s.loop(interval)
	return s
}

func (s *statusProgress) loop(interval time.Duration) {
	defer close(s.ended)
	t := time.NewTicker(interval)
	defer t.Stop()
	count := 0
	for {
		select {
		case n := <-s.incr:
			count += n
		case <-t.C:
			s.emit(count)
		case <-s.done:
			for {
				select {
				case n := <-s.incr:
					count += n
				default:
					s.emit(count)
					return
				}
			}
		}
	}
}

func (s *statusProgress) emit(count int) {
	st := Status{MessageType: "status", Task: s.name, ItemsDone: count, ItemsTotal: s.total, SecondsElapsed: Seconds(time.Since(s.start))}
	if s.total > 0 {
		st.PercentDone = float64(count) * 100 / float64(s.total)
	}
	s.u.emit(s.u.Out, st)
}

func (s *statusProgress) Add(n int) { s.incr <- n }
func (s *statusProgress) Done() {
	close(s.done)
	<-s.ended
}
