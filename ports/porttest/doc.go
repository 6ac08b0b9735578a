// Package porttest holds one contract test suite per port. Each adapter's
// tests run the suite of the ports it implements, the embedded adapter and
// the real-server adapter alike, so that swapping one for the other is
// proven rather than hoped. It also holds the in-memory doubles the use
// cases' tests share (FakeQueue, Seeds), proven by the same suites. It
// imports domain, ports and testing only.
package porttest
