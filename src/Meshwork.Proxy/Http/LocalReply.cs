using System.Text;
using Microsoft.Net.Http.Headers;

namespace Meshwork.Proxy.Http;

/// <summary>
/// Answers the proxy writes itself, with Envoy's statuses and texts (what users search for when a
/// request fails: "no healthy upstream", "upstream request timeout", ...). A gRPC caller gets the
/// same answer as gRPC: HTTP 200 with grpc-status and grpc-message, as Envoy maps it.
/// </summary>
internal static class LocalReply
{
    public const string NoHealthyUpstream = "no healthy upstream";
    public const string RequestTimeout = "upstream request timeout";
    public const string FaultAbort = "fault filter abort";

    public static string ResetBeforeHeaders(string reason, bool retried) =>
        retried
            ? $"upstream connect error or disconnect/reset before headers. retried and the latest reset reason: {reason}"
            : $"upstream connect error or disconnect/reset before headers. reset reason: {reason}";

    public static bool IsGrpc(HttpRequest request) =>
        request.ContentType is { } type && type.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase);

    /// <summary>Writes the reply unless the response has started (then the caller can only abort).</summary>
    public static Task WriteAsync(HttpContext context, int status, string body, int? grpcStatus = null)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            context.Abort();
            return Task.CompletedTask;
        }

        response.Clear();
        if (context.Features.Get<Listeners.HttpConnectionState>()?.Manager.Telemetry is { } telemetry)
        {
            RequestTelemetry.ToDownstream(telemetry, response.Headers);
        }

        if (IsGrpc(context.Request))
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers["grpc-status"] = (grpcStatus ?? GrpcStatusFor(status)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (body.Length > 0)
            {
                response.Headers["grpc-message"] = Uri.EscapeDataString(body);
            }

            return Task.CompletedTask;
        }

        response.StatusCode = status;
        if (body.Length == 0)
        {
            response.ContentLength = 0;
            return Task.CompletedTask;
        }

        var bytes = Encoding.UTF8.GetBytes(body);
        response.ContentType = "text/plain";
        response.ContentLength = bytes.Length;
        return context.Request.Method == HttpMethods.Head ? Task.CompletedTask : response.Body.WriteAsync(bytes, 0, bytes.Length);
    }

    /// <summary>Envoy's HTTP-to-gRPC status mapping (Utility::httpToGrpcStatus).</summary>
    public static int GrpcStatusFor(int httpStatus) => httpStatus switch
    {
        400 => 13, // INTERNAL
        401 => 16, // UNAUTHENTICATED
        403 => 7, // PERMISSION_DENIED
        404 => 12, // UNIMPLEMENTED
        429 or 502 or 503 or 504 => 14, // UNAVAILABLE
        _ => 2, // UNKNOWN
    };

    internal static void RemoveContentHeaders(HttpResponse response)
    {
        response.Headers.Remove(HeaderNames.ContentLength);
        response.Headers.Remove(HeaderNames.ContentType);
    }
}
