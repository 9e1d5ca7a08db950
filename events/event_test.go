package events_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/events"
)

// at is the events' time in the schema test: 120.456789 ms past the
// second, written to the millisecond.
var at = time.Date(2026, 12, 5, 19, 2, 33, 120456789, time.FixedZone("CET", 3600))

// TestSchema pins the JSON form of an event of each type: field names,
// their order, what is left out when empty, the time's format. A change
// here is a change to what receivers read: add fields, never rename,
// reorder or drop one.
func TestSchema(t *testing.T) {
	for _, tc := range []struct {
		ev   events.Event
		want string
	}{
		{
			events.Event{ID: "evt_01kbr3n5g0aaaaaaaaaaaaaaaa", Type: events.PromptUploaded, Time: at, VDN: 53,
				FileName: "Y:/3rdfile/53/thirdvoicebotfile/8fSsBaEb_1631869974029.wav", LocationIDs: []string{"loc1", "loc2"},
				Size: 16044, Codec: "alaw", ConvertedFrom: "PCM 16-bit 22050 Hz stereo", AccessKey: "bot-53", RequestID: "req-7"},
			`{"id":"evt_01kbr3n5g0aaaaaaaaaaaaaaaa","type":"prompt.uploaded","time":"2026-12-05T18:02:33.120Z","vdn":53,` +
				`"fileName":"Y:/3rdfile/53/thirdvoicebotfile/8fSsBaEb_1631869974029.wav","locationIds":["loc1","loc2"],` +
				`"size":16044,"codec":"alaw","convertedFrom":"PCM 16-bit 22050 Hz stereo","accessKey":"bot-53","requestId":"req-7"}`,
		},
		{
			events.Event{ID: "evt_01kbr3n5g0bbbbbbbbbbbbbbbb", Type: events.PromptDeleted, Time: at, VDN: 53,
				FileName: "Y:/3rdfile/53/a.wav", Size: 8044, AccessKey: "bot-53", RequestID: "req-8"},
			`{"id":"evt_01kbr3n5g0bbbbbbbbbbbbbbbb","type":"prompt.deleted","time":"2026-12-05T18:02:33.120Z","vdn":53,` +
				`"fileName":"Y:/3rdfile/53/a.wav","size":8044,"accessKey":"bot-53","requestId":"req-8"}`,
		},
		{
			events.Event{ID: "evt_01kbr3n5g0bbbbbbbbbbbbbbbc", Type: events.PromptDeleted, Time: at, VDN: 53,
				FileName: "Y:/3rdfile/53/b.wav", Size: 8044, Operator: "alice"},
			`{"id":"evt_01kbr3n5g0bbbbbbbbbbbbbbbc","type":"prompt.deleted","time":"2026-12-05T18:02:33.120Z","vdn":53,` +
				`"fileName":"Y:/3rdfile/53/b.wav","size":8044,"operator":"alice"}`,
		},
		{
			events.Event{ID: "evt_01kbr3n5g0cccccccccccccccc", Type: events.PromptExpired, Time: at, VDN: 7,
				FileName: "Y:/3rdfile/7/old.wav", Size: 0},
			`{"id":"evt_01kbr3n5g0cccccccccccccccc","type":"prompt.expired","time":"2026-12-05T18:02:33.120Z","vdn":7,` +
				`"fileName":"Y:/3rdfile/7/old.wav","size":0}`,
		},
		{
			events.Event{ID: "evt_01kbr3n5g0dddddddddddddddd", Type: events.RecordingDownloaded, Time: at.Truncate(time.Second), VDN: 53,
				FileName: "Y:/3rdfile/53/a.wav", Size: 8044, AccessKey: "auditor", RequestID: "req-9"},
			`{"id":"evt_01kbr3n5g0dddddddddddddddd","type":"recording.downloaded","time":"2026-12-05T18:02:33.000Z","vdn":53,` +
				`"fileName":"Y:/3rdfile/53/a.wav","size":8044,"accessKey":"auditor","requestId":"req-9"}`,
		},
	} {
		got, err := json.Marshal(tc.ev)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.ev.Type, got, tc.want)
		}
		if err := tc.ev.Validate(); err != nil {
			t.Errorf("%s: %v", tc.ev.Type, err)
		}
		// It reads back as itself, its time cut to the millisecond.
		var back events.Event
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%s: %v", tc.ev.Type, err)
		}
		again, _ := json.Marshal(back)
		if string(again) != tc.want || !back.Time.Equal(tc.ev.Time.Truncate(time.Millisecond)) || back.Time.Location() != time.UTC {
			t.Errorf("%s: read back as %+v, %s", tc.ev.Type, back, again)
		}
	}
}

func TestTypes(t *testing.T) {
	want := []string{"prompt.uploaded", "prompt.deleted", "prompt.expired", "recording.downloaded"}
	types := events.Types()
	if len(types) != len(want) {
		t.Fatalf("Types() = %v", types)
	}
	for i, ty := range types {
		if string(ty) != want[i] || !ty.Known() {
			t.Errorf("Types()[%d] = %q (Known %v), want %q", i, ty, ty.Known(), want[i])
		}
	}
	for _, ty := range []events.Type{"", "prompt.Uploaded", "prompt.moved"} {
		if ty.Known() {
			t.Errorf("%q is Known", ty)
		}
	}
}

func TestNew(t *testing.T) {
	ev := events.New(events.PromptDeleted, at)
	if ev.Type != events.PromptDeleted || !ev.Time.Equal(at.Truncate(time.Millisecond)) || ev.Time.Location() != time.UTC {
		t.Errorf("New = %+v", ev)
	}
	if !events.ValidID(ev.ID) {
		t.Errorf("New's ID %q is not valid", ev.ID)
	}
}

// Decoding takes unknown types and fields (a later version's), and
// refuses a form without what every event has.
func TestUnmarshal(t *testing.T) {
	var ev events.Event
	if err := json.Unmarshal([]byte(`{"id":"evt_x","type":"prompt.moved","time":"2026-12-05T18:02:33.12+01:00","vdn":1,"future":{"a":1}}`), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Type != "prompt.moved" || ev.Type.Known() || ev.Time.Format(events.TimeFormat) != "2026-12-05T17:02:33.120Z" {
		t.Errorf("read %+v", ev)
	}
	for _, bad := range []struct{ json, says string }{
		{`{"type":"prompt.uploaded","time":"2026-12-05T18:02:33.120Z"}`, "no id"},
		{`{"id":"evt_x","time":"2026-12-05T18:02:33.120Z"}`, "no type"},
		{`{"id":"evt_x","type":"prompt.uploaded"}`, "no time"},
		{`{"id":"evt_x","type":"prompt.uploaded","time":"2026-12-05 18:02:33"}`, "not RFC 3339"},
		{`{"id":"evt_x","type":"prompt.uploaded","time":"2026-12-05T18:02:33Z","vdn":"53"}`, "cannot unmarshal"},
		{`[]`, "cannot unmarshal"},
	} {
		err := json.Unmarshal([]byte(bad.json), &ev)
		if err == nil || !strings.Contains(err.Error(), bad.says) {
			t.Errorf("%s: %v, want an error saying %q", bad.json, err, bad.says)
		}
	}
}

func TestValidate(t *testing.T) {
	good := events.New(events.PromptUploaded, at)
	good.VDN, good.FileName, good.Size, good.Codec, good.AccessKey = 53, "Y:/a.wav", 10, "alaw", "k"
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		change func(*events.Event)
		says   string
	}{
		{func(e *events.Event) { e.ID = "evt_" + strings.Repeat("z", 26) }, "not an event ID"},
		{func(e *events.Event) { e.ID = "01kbr3n5g0aaaaaaaaaaaaaaaa" }, "not an event ID"},
		{func(e *events.Event) { e.Type = "prompt.moved" }, "not an event type"},
		{func(e *events.Event) { e.Time = time.Time{} }, "no time"},
		{func(e *events.Event) { e.VDN = 0 }, "vdn 0"},
		{func(e *events.Event) { e.FileName = "" }, "no fileName"},
		{func(e *events.Event) { e.Size = -1 }, "size -1"},
		{func(e *events.Event) { e.Codec = "" }, "an upload has no codec"},
		{func(e *events.Event) { e.AccessKey = "" }, "prompt.uploaded has no accessKey"},
		{func(e *events.Event) { e.Type = events.PromptExpired }, "an expiry has no accessKey"},
		{func(e *events.Event) { e.AccessKey, e.Operator = "", "alice" }, "prompt.uploaded has no accessKey"},
		{func(e *events.Event) { e.Operator = "alice" }, "prompt.uploaded has an operator"},
		{func(e *events.Event) { e.Type, e.Codec, e.Operator = events.PromptDeleted, "", "alice" }, "prompt.deleted has an operator"},
	} {
		ev := good
		tc.change(&ev)
		if err := ev.Validate(); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("Validate() = %v, want it to say %q", err, tc.says)
		}
	}
}
