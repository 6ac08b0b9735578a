package memory

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chatsvc/chat/domain"
)

// LiveLog is ports.LiveLog in process, for the embedded profile: the
// queue appends every committed batch's message events (commits are in
// number order, so a chat's events are too), and the last keep of them
// are kept to resume from. A position is "run-sequence": a position of an
// earlier run of the process is gone.
type LiveLog struct {
	mu     sync.Mutex
	run    string
	seq    uint64
	kept   []domain.LiveEvent // the last ones, oldest first
	keep   int
	tailer func(domain.LiveEvent)
}

func NewLiveLog(keep int) *LiveLog {
	return &LiveLog{run: strconv.FormatInt(time.Now().UnixNano(), 36), keep: max(keep, 1)}
}

// Append records the message events of a committed batch and hands them to
// the tail.
func (l *LiveLog) Append(events []domain.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range events {
		switch e.(type) {
		case domain.MessageCreated, domain.MessageEdited, domain.MessageDeleted:
		default:
			continue
		}
		l.seq++
		le := domain.LiveEvent{Position: l.run + "-" + strconv.FormatUint(l.seq, 10), Event: e}
		if len(l.kept) == l.keep {
			l.kept = append(l.kept[:0], l.kept[1:]...)
		}
		l.kept = append(l.kept, le)
		if l.tailer != nil {
			l.tailer(le) // the hub's dispatch: it never blocks
		}
	}
}

func (l *LiveLog) Tail(ctx context.Context, fn func(domain.LiveEvent)) error {
	l.mu.Lock()
	l.tailer = fn
	l.mu.Unlock()
	<-ctx.Done()
	l.mu.Lock()
	l.tailer = nil
	l.mu.Unlock()
	return nil
}

func (l *LiveLog) Since(_ context.Context, chat domain.ChatKey, after string) ([]domain.LiveEvent, error) {
	run, seq := parsePosition(after)
	l.mu.Lock()
	defer l.mu.Unlock()
	oldest := l.seq - uint64(len(l.kept)) // the last position no longer kept
	if run != l.run || seq > l.seq || seq < oldest {
		return nil, domain.ErrPositionGone
	}
	var out []domain.LiveEvent
	for _, e := range l.kept[seq-oldest:] {
		if c := e.Chat(); c == chat || (chat.Number == 0 && c.Token == chat.Token) {
			out = append(out, e)
		}
	}
	return out, nil
}

// Creation looks for the creation among the events kept, newest first.
func (l *LiveLog) Creation(_ context.Context, chat domain.ChatKey, number int64) (domain.MessageCreated, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.kept) - 1; i >= 0; i-- {
		if c, ok := l.kept[i].Event.(domain.MessageCreated); ok && l.kept[i].Chat() == chat && c.Number <= number {
			return c, c.Number == number, nil
		}
	}
	return domain.MessageCreated{}, false, nil
}

func (l *LiveLog) Head(context.Context, domain.Token) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.run + "-" + strconv.FormatUint(l.seq, 10), nil
}

var livePosition = regexp.MustCompile(`^[0-9a-z]{1,16}-[0-9]{1,19}$`)

func (l *LiveLog) Valid(s string) bool { return livePosition.MatchString(s) }

func (l *LiveLog) Before(a, b string) bool {
	ra, sa := parsePosition(a)
	rb, sb := parsePosition(b)
	if ra != rb {
		return ra < rb
	}
	return sa < sb
}

func parsePosition(p string) (run string, seq uint64) {
	run, s, _ := strings.Cut(p, "-")
	seq, _ = strconv.ParseUint(s, 10, 64)
	return run, seq
}
