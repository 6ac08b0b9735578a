# syntax=docker/dockerfile:1
# Multi-stage build: one image holds the service's commands: the api, the
# worker, and what docs/RUNBOOK.md has operators run (migrate, reindex,
# deadletters), each as /usr/local/bin/<name>.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG COMMANDS="api worker migrate reindex deadletters"
RUN for c in $COMMANDS; do \
      CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/$c ./cmd/$c || exit 1; \
    done

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ /usr/local/bin/
EXPOSE 8080 8081
USER nonroot
ENTRYPOINT ["/usr/local/bin/api"]
