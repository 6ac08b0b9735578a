// Package webhook delivers events to an application's own servers the way
// Standard Webhooks says (https://www.standardwebhooks.com): a JSON body,
// webhook-id, webhook-timestamp and webhook-signature headers, signed with
// the endpoint's whsec_ secret by the Standard Webhooks library. It also
// keeps deliveries from reaching what the service's own network can reach
// and the Internet cannot (loopback, private, link-local and metadata
// addresses: server-side request forgery), at registration and again at
// every connection, and spaces out retries. It imports domain only.
package webhook
