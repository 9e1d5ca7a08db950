package events_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/events"
)

// steps is a Sink that notes each call, as name:step.
type steps struct {
	name string
	log  *[]string
	fail bool // Prepare fails
}

func (s steps) Prepare(context.Context, events.Event) (events.Intent, error) {
	if s.fail {
		return nil, errors.New(s.name + " is down")
	}
	*s.log = append(*s.log, s.name+":prepare")
	return stepsIntent(s), nil
}

type stepsIntent steps

func (i stepsIntent) Commit(context.Context, events.Event) error {
	*i.log = append(*i.log, i.name+":commit")
	return nil
}

func (i stepsIntent) Abandon(context.Context) error {
	*i.log = append(*i.log, i.name+":abandon")
	return errors.New(i.name + " abandoned")
}

// TestFunc: a Func is called with the event committed, never with one
// abandoned.
func TestFunc(t *testing.T) {
	ctx := context.Background()
	var got []string
	f := events.Func(func(_ context.Context, ev events.Event) error {
		got = append(got, ev.FileName)
		return nil
	})
	ev := events.New(events.PromptUploaded, time.Now())
	for _, commit := range []bool{true, false} {
		in, err := f.Prepare(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		e := ev
		e.FileName = "Y:/a.wav"
		if commit {
			err = in.Commit(ctx, e)
		} else {
			err = in.Abandon(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if strings.Join(got, ",") != "Y:/a.wav" {
		t.Fatalf("called with %v", got)
	}
}

// TestMulti: every sink sees every step, in order; a Prepare that fails
// abandons those before it and fails the whole.
func TestMulti(t *testing.T) {
	ctx := context.Background()
	var log []string
	m := events.Multi(steps{name: "a", log: &log}, steps{name: "b", log: &log})
	in, err := m.Prepare(ctx, events.Event{})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Commit(ctx, events.Event{}); err != nil {
		t.Fatal(err)
	}
	if err := in.Abandon(ctx); err == nil || !strings.Contains(err.Error(), "a abandoned") || !strings.Contains(err.Error(), "b abandoned") {
		t.Fatalf("Abandon's errors: %v", err)
	}
	if got := strings.Join(log, " "); got != "a:prepare b:prepare a:commit b:commit a:abandon b:abandon" {
		t.Fatalf("steps %q", got)
	}
	log = nil
	m = events.Multi(steps{name: "a", log: &log}, steps{name: "b", log: &log, fail: true}, steps{name: "c", log: &log})
	if _, err := m.Prepare(ctx, events.Event{}); err == nil || !strings.Contains(err.Error(), "b is down") {
		t.Fatalf("Prepare: %v", err)
	}
	if got := strings.Join(log, " "); got != "a:prepare a:abandon" {
		t.Fatalf("steps %q", got)
	}
}

// TestSettle: Settle commits a change made, abandons one not made, and
// has nothing to do without an Intent.
func TestSettle(t *testing.T) {
	ctx := context.Background()
	var log []string
	s := steps{name: "s", log: &log}
	for _, done := range []bool{true, false} {
		in, _ := s.Prepare(ctx, events.Event{})
		events.Settle(ctx, in, events.Event{}, done)
	}
	if err := events.Settle(ctx, nil, events.Event{}, true); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(log, " "); got != "s:prepare s:commit s:prepare s:abandon" {
		t.Fatalf("steps %q", got)
	}
}
