import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.codelibs.opensearch.runner.OpenSearchRunner;
import org.opensearch.node.Node;

/**
 * A two-node OpenSearch cluster in one JVM (codelibs' runner), for the tests
 * that lose a node, with a control on a port of its own:
 *
 * <pre>
 *   POST /stop   stops the node that is not the cluster manager; answers its HTTP port
 *   POST /start  starts it again; answers its HTTP port
 * </pre>
 *
 * Both nodes are cluster-manager eligible and hold data; the one stopped is
 * never the elected manager, so the other keeps the cluster (with two
 * eligible nodes the voting configuration is the elected one alone).
 *
 * Run as a source file (Java 11+): java -cp RUNNER_CLASSPATH TwoNodes.java BASE_PATH BASE_HTTP_PORT CONTROL_PORT
 * The nodes listen on BASE_HTTP_PORT+1 and +2.
 */
public class TwoNodes {
    private static int stopped = -1;

    public static void main(String[] args) throws Exception {
        OpenSearchRunner runner = new OpenSearchRunner();
        runner.build(OpenSearchRunner.newConfigs().basePath(args[0]).numOfNode(2)
                .baseHttpPort(Integer.parseInt(args[1])).clusterName("chat-pair"));
        runner.ensureYellow();
        HttpServer control = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[2])), 0);
        control.createContext("/stop", ex -> {
            synchronized (runner) {
                if (stopped >= 0) {
                    reply(ex, 409, "a node is stopped already");
                    return;
                }
                Node node = runner.nonMasterNode();
                String port = node.settings().get("http.port");
                stopped = runner.getNodeIndex(node);
                node.close();
                reply(ex, 200, port);
            }
        });
        control.createContext("/start", ex -> {
            synchronized (runner) {
                if (stopped < 0) {
                    reply(ex, 409, "no node is stopped");
                    return;
                }
                runner.startNode(stopped);
                String port = runner.getNode(stopped).settings().get("http.port");
                stopped = -1;
                reply(ex, 200, port);
            }
        });
        control.start();
        System.out.println("two nodes of chat-pair up; control on " + args[2]);
        Thread.currentThread().join();
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }
}
