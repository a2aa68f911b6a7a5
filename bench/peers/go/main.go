// Command upload-server is a Go upload server as a Go developer would write it to store uploads fast: net/http,
// r.MultipartReader() and each file part copied to an os.File. A peer of UploadKit in the upload benchmark.
//
//	bench/peers/go/bin/upload-server --port P --data-dir D
//
// It listens on 127.0.0.1:P only.
//
//	GET  /health   200 once listening
//	POST /upload   multipart/form-data with one file part (any field name): the part is streamed to a new file
//	               under D and the answer, sent once the file is closed, is {"bytes": N, "path": "<absolute path>"}
//	POST /discard  the body is parsed and the part's bytes dropped: {"bytes": N, "path": null}
//
// A malformed body (not multipart, cut short, no file part, a second file part) is answered 400 with a short text,
// after the partial file is removed. SIGTERM and SIGINT stop the server once the requests in flight are done, and
// it exits 0.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// writeBufferSize is how much of a part is gathered before one write to the file. A part reads at most 4 KiB at a
// time (mime/multipart's read buffer), so io.Copy straight to the file, with any copy buffer, makes one write per
// 4 KiB; the bufio.Writer turns 256 of them into one.
const writeBufferSize = 1 << 20

var writeBuffers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, writeBufferSize) }}

type answer struct {
	Bytes int64   `json:"bytes"`
	Path  *string `json:"path"`
}

// errMalformed marks what the client sent wrong, answered 400; anything else is the server's, answered 500.
var errMalformed = errors.New("malformed")

type clientError struct{ message string }

func (e clientError) Error() string        { return e.message }
func (e clientError) Is(target error) bool { return target == errMalformed }

// fileWriter remembers a failed write, so that a failed copy can be told apart: the file's fault or the body's. It
// has no ReadFrom, so the bufio.Writer over it gathers the part itself rather than handing the copy on to
// os.File.ReadFrom, which would write each 4 KiB read as it comes.
type fileWriter struct {
	file *os.File
	err  error
}

func (w *fileWriter) Write(p []byte) (int, error) {
	n, err := w.file.Write(p)
	if err != nil {
		w.err = err
	}
	return n, err
}

type server struct {
	dataDir string
	// inFlight counts the upload requests being handled, so that a stop waits for their files to be closed or removed.
	inFlight sync.WaitGroup
}

// receive reads the form's parts: the one file part goes to store, the other fields are read and dropped.
func receive(r *http.Request, store func(*multipart.Part) (answer, error)) (answer, error) {
	reader, err := r.MultipartReader()
	if err != nil {
		return answer{}, clientError{err.Error()}
	}
	var result answer
	seen := false
	for {
		part, err := reader.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return result, clientError{err.Error()}
		}
		if part.FileName() == "" {
			if _, err := io.Copy(io.Discard, part); err != nil {
				return result, clientError{err.Error()}
			}
			continue
		}
		if seen {
			return result, clientError{"more than one file part in the form"}
		}
		seen = true
		if result, err = store(part); err != nil {
			return result, err
		}
	}
	if !seen {
		return result, clientError{"no file part in the form"}
	}
	return result, nil
}

// storePart streams a part to a new file under the data folder (os.CreateTemp opens it with O_EXCL under a random
// name, so nothing is overwritten) and closes it; on any failure the file is removed.
func (s *server) storePart(part *multipart.Part) (result answer, err error) {
	file, err := os.CreateTemp(s.dataDir, "upload-")
	if err != nil {
		return result, err
	}
	name := file.Name()
	result.Path = &name
	defer func() {
		if err != nil {
			file.Close()
			os.Remove(name)
			result.Path = nil
		}
	}()
	out := &fileWriter{file: file}
	buffer := writeBuffers.Get().(*bufio.Writer)
	buffer.Reset(out)
	defer func() {
		buffer.Reset(nil)
		writeBuffers.Put(buffer)
	}()
	n, err := io.Copy(buffer, part)
	if err == nil {
		err = buffer.Flush()
	}
	if err != nil {
		if out.err == nil {
			return result, clientError{err.Error()}
		}
		return result, err
	}
	if err = file.Close(); err != nil {
		return result, err
	}
	result.Bytes = n
	return result, nil
}

func discardPart(part *multipart.Part) (answer, error) {
	n, err := io.Copy(io.Discard, part)
	if err != nil {
		return answer{}, clientError{err.Error()}
	}
	return answer{Bytes: n}, nil
}

func (s *server) post(store func(*multipart.Part) (answer, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.inFlight.Add(1)
		defer s.inFlight.Done()
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		result, err := receive(r, store)
		if err != nil {
			// A file stored before a later part failed is removed too: the refused upload leaves nothing.
			if result.Path != nil {
				os.Remove(*result.Path)
			}
			if errors.Is(err, errMalformed) {
				http.Error(w, err.Error(), http.StatusBadRequest)
			} else {
				http.Error(w, "could not store the file: "+err.Error(), http.StatusInternalServerError)
			}
			return
		}
		body, _ := json.Marshal(result)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	}
}

func main() {
	port := flag.Int("port", 0, "port to listen on (127.0.0.1 only)")
	dataDir := flag.String("data-dir", "", "folder the uploads are stored in")
	flag.Parse()
	if *port <= 0 || *dataDir == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: upload-server --port P --data-dir D")
		os.Exit(2)
	}
	dir, err := filepath.Abs(*dataDir)
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		log.Fatal(err)
	}
	s := &server{dataDir: dir}

	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			http.Error(w, "GET only", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("/upload", s.post(s.storePart))
	mux.HandleFunc("/discard", s.post(discardPart))

	listener, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)))
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 30 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(listener) }()
	select {
	case err := <-done:
		log.Fatal(err)
	case <-ctx.Done():
	}
	// Requests in flight get 10 seconds to finish; idle keep-alive connections are closed at once. Then the
	// connections left are closed, and the process waits for their handlers to remove their partial files.
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close()
	}
	s.inFlight.Wait()
}
