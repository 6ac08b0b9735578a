// Package benchhttp is the HTTP client the benchmark tools (livebench,
// hookbench) drive the api with: one pool of kept-alive connections wide
// enough for their concurrency, and the JSON POST each makes its
// applications, chats and messages with.
package benchhttp

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"
)

// Client keeps up to 256 idle connections to the api, so that a tool's
// concurrent requests reuse them rather than open one each.
var Client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 30 * time.Second}

// Post sends body as JSON and answers the decoded JSON object (nil when the
// answer is not one) and the status.
func Post(url string, body any) (map[string]any, int, error) { return Send("POST", url, "", body) }

// Send sends body as JSON with the method, and bearer, unless empty, as
// the credential; it answers as Post does.
func Send(method, url, bearer string, body any) (map[string]any, int, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, 0, err
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(raw))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := Client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return out, res.StatusCode, nil
}
