package httpapi

import (
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2/middleware/requestid"
)

// guardListener wraps the api's connections with two protections that the
// HTTP parser does not give:
//
//   - A request head with bare LF line endings is answered 400 at once.
//     fasthttp waits for a CRLF CRLF that never comes, holding the
//     connection until the read timeout (30 s).
//   - Closing lingers: the write side is shut first, then what the client
//     is still sending is read and dropped (bounded in bytes and time)
//     before the socket closes. Closing a socket with unread data makes the
//     kernel send a reset, and a client still writing an oversized body
//     would see that reset instead of the 413 it was sent.
type guardListener struct {
	net.Listener
	lingerBytes int64
	lingerTime  time.Duration
}

func (l guardListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &guardConn{Conn: c, lingerBytes: l.lingerBytes, lingerTime: l.lingerTime, checking: true}, nil
}

type guardConn struct {
	net.Conn
	lingerBytes int64
	lingerTime  time.Duration

	// The first request head is checked for bare LF line endings, up to its
	// CRLF CRLF (later ones would need the parser's view of where bodies end).
	checking bool
	tail     uint32 // the last four bytes read
	seen     int
	once     sync.Once
}

// badLineEndings is the whole answer to a head with bare LF line endings.
func badLineEndings() []byte {
	body := `{"error":{"code":"bad_request","message":"malformed request: lines must end with CR LF"}}`
	return []byte("HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n" +
		"X-Request-Id: " + requestid.ConfigDefault.Generator() + "\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}

func (c *guardConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if c.checking && n > 0 {
		if c.bareLF(p[:n]) {
			_, _ = c.Conn.Write(badLineEndings())
			return 0, io.EOF
		}
	}
	return n, err
}

// bareLF scans the head so far; it stops checking at the end of the head.
func (c *guardConn) bareLF(b []byte) bool {
	for _, ch := range b {
		if ch == '\n' && c.tail&0xff != '\r' {
			return true
		}
		c.tail = c.tail<<8 | uint32(ch)
		c.seen++
		if c.tail == 0x0d0a0d0a || c.seen > 64<<10 {
			c.checking = false
			return false
		}
	}
	return false
}

func (c *guardConn) Close() error {
	c.once.Do(func() {
		tcp, ok := c.Conn.(*net.TCPConn)
		if !ok || tcp.CloseWrite() != nil {
			_ = c.Conn.Close()
			return
		}
		go func() {
			_ = tcp.SetReadDeadline(time.Now().Add(c.lingerTime))
			_, _ = io.CopyN(io.Discard, tcp, c.lingerBytes)
			_ = tcp.Close()
		}()
	})
	return nil
}
