// Command exchangeload drives a `vbdt envelope serve` for bench/exchange.sh: it sends N copies of
// an envelope from one system (sendEdoc), then fetches each from the recipient (getEdoc), a few
// calls at a time, and prints the rate of sendEdoc + getEdoc pairs.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbdt/vbdt/exchange"
)

func main() {
	url := flag.String("url", "", "the stand-in's URL")
	file := flag.String("file", "", "the envelope sent")
	n := flag.Int("n", 1000, "envelopes")
	conc := flag.Int("c", 8, "calls at a time")
	from, fromSecret := flag.String("from", "", "sender system"), flag.String("from-secret", "", "its secret")
	to, toSecret := flag.String("to", "", "recipient system"), flag.String("to-secret", "", "its secret")
	get := flag.Bool("get", true, "then fetch and acknowledge each as the recipient")
	flag.Parse()
	ctx := context.Background()
	snd, err := exchange.New(exchange.Config{Endpoint: *url, SystemID: *from, Secret: *fromSecret})
	check(err)
	rcv, err := exchange.New(exchange.Config{Endpoint: *url, SystemID: *to, Secret: *toSecret})
	check(err)
	start := time.Now()
	var sent atomic.Int64
	parallel(*n, *conc, func(int) {
		_, err := snd.Send(ctx, *file, exchange.MessageEdoc, nil)
		check(err)
		sent.Add(1)
	})
	sendTime := time.Since(start)
	if !*get {
		fmt.Printf("%d envelopes sent: %.1f/s\n", sent.Load(), float64(*n)/sendTime.Seconds())
		return
	}
	inbox, err := rcv.Received(ctx, exchange.MessageEdoc)
	check(err)
	getStart := time.Now()
	var bytes atomic.Int64
	parallel(len(inbox), *conc, func(i int) {
		data, err := rcv.GetEdoc(ctx, inbox[i].DocID)
		check(err)
		bytes.Add(int64(len(data)))
		check(rcv.UpdateStatus(ctx, inbox[i].DocID, exchange.AckDone))
	})
	total := time.Since(start)
	fmt.Printf("%d envelopes of %d bytes: sendEdoc %.1f/s, getEdoc+updateStatus %.1f/s, sendEdoc+getEdoc pairs %.1f/s (%.2f s)\n",
		sent.Load(), bytes.Load()/int64(max(len(inbox), 1)), float64(*n)/sendTime.Seconds(),
		float64(len(inbox))/time.Since(getStart).Seconds(), float64(*n)/total.Seconds(), total.Seconds())
}

func parallel(n, conc int, fn func(i int)) {
	work := make(chan int)
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				fn(i)
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "exchangeload:", err)
		os.Exit(1)
	}
}
