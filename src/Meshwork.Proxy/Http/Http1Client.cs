using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Meshwork.Proxy.Upstream;

namespace Meshwork.Proxy.Http;

/// <summary>How one try on the proxy's own HTTP/1.1 client ended; the retry loop turns it into a failure kind.</summary>
internal enum Http1Outcome
{
    Done,
    ConnectFailure,
    ResetBeforeResponse,
    ResetAfterResponse,
    Downstream,

    /// <summary>A reused connection had been closed by the server before it saw the request: try once more on a new one (as HttpClient does).</summary>
    RetryOnNewConnection,
}

/// <summary>
/// One try of a request to a plaintext HTTP/1.1 upstream without HttpClient: a pooled keep-alive
/// connection, the request head in one send, the body streamed alongside the response (so an
/// upstream that answers early or echoes never deadlocks), and the response parsed into the
/// downstream response. A connection goes back to the pool only after a cleanly framed exchange.
/// Timeouts and a downstream abort close the connection, which ends whatever I/O is pending.
/// </summary>
internal static class Http1Client
{
    /// <summary>The largest response head accepted (HttpClient's default limit).</summary>
    public const int MaxHeadBytes = 64 * 1024;

    private const int BodyChunk = 16 * 1024;
    private const int ChunkPrefix = 10;

    private static readonly Action<object?> Abort = static c => ((Http1Connection)c!).Close();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<Http1Outcome> SendAsync(Exchange exchange, Http1Pool pool, CancellationToken cancellationToken)
    {
        var fresh = false;
        while (true)
        {
            Http1Connection connection;
            bool reused;
            try
            {
                (connection, reused) = await pool.RentAsync(fresh, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return Http1Outcome.ResetBeforeResponse;
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
            {
                return Http1Outcome.ConnectFailure;
            }

            connection.Requests++;
            var last = pool.IsLastRequest(connection);
            Http1Outcome outcome;
            bool reusable;
            using (cancellationToken.UnsafeRegister(Abort, connection))
            using (exchange.Context.RequestAborted.UnsafeRegister(Abort, connection))
            {
                (outcome, reusable) = await ExchangeAsync(exchange, connection, last, reused).ConfigureAwait(false);
            }

            pool.Return(connection, reusable);
            if (outcome != Http1Outcome.RetryOnNewConnection)
            {
                return outcome;
            }

            fresh = true;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<(Http1Outcome Outcome, bool Reusable)> ExchangeAsync(Exchange exchange, Http1Connection connection, bool last, bool reused)
    {
        var head = ArrayPool<byte>.Shared.Rent(4096);
        Http1RequestBody bodyKind;
        try
        {
            var length = Http1Wire.WriteRequestHead(ref head, exchange, last, out bodyKind);
            await SendAllAsync(connection.Socket, head.AsMemory(0, length)).ConfigureAwait(false);
        }
        catch (Exception e) when (IsIo(e))
        {
            return (reused ? Http1Outcome.RetryOnNewConnection : Http1Outcome.ResetBeforeResponse, false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(head);
        }

        CancellationTokenSource? abandon = null;
        Task<Http1Outcome>? body = null;
        if (bodyKind != Http1RequestBody.None)
        {
            abandon = new CancellationTokenSource();
            body = SendBodyAsync(exchange, connection, bodyKind == Http1RequestBody.Chunked, abandon.Token);
        }

        try
        {
            var received = connection.Buffered > 0;
            while (true)
            {
                var parsed = connection.Head.ParseHead(connection.Buffer.AsSpan(connection.Start, connection.Buffered));
                if (parsed == Http1Parse.Complete)
                {
                    if (connection.Head.Status is >= 100 and < 200 and not 101)
                    {
                        // Interim answers (100 Continue, 103 Early Hints) are not forwarded, as on the other path.
                        connection.Start += connection.Head.Length;
                        continue;
                    }

                    break;
                }

                var read = parsed == Http1Parse.Malformed || !connection.MakeRoom(MaxHeadBytes) ? -1 : await Http1ResponseBody.FillAsync(connection).ConfigureAwait(false);
                if (read <= 0)
                {
                    connection.Close();
                    abandon?.Cancel();
                    var stale = read == 0 && reused && !received;
                    var outcome = body != null && await body.ConfigureAwait(false) == Http1Outcome.Downstream ? Http1Outcome.Downstream
                        : stale && exchange.BodyReplayable ? Http1Outcome.RetryOnNewConnection
                        : Http1Outcome.ResetBeforeResponse;
                    return (outcome, false);
                }

                received = true;
            }

            if (connection.Head.Status == 101 || !Commit(exchange, connection))
            {
                // Declined for a retry (or a 101 nobody asked for): the connection's framing is unknown from here, so it closes.
                var declined = connection.Head.Status != 101;
                connection.Close();
                if (body != null)
                {
                    abandon!.Cancel();
                    await body.ConfigureAwait(false);
                    if (declined && !exchange.BodyReplayable)
                    {
                        // Body bytes were taken while the answer was judged: the next try could not send them, so no retry after all.
                        exchange.WithdrawRetry();
                        declined = false;
                    }
                }

                return (declined ? Http1Outcome.Done : Http1Outcome.ResetBeforeResponse, false);
            }

            var response = connection.Head;
            var keeps = response.KeepsConnection && !(response.Chunked && response.ContentLength >= 0);
            var status = response.Status;
            Http1Outcome result;
            if (HttpMethods.IsHead(exchange.Context.Request.Method) || status is 204 or 304)
            {
                result = Http1Outcome.Done;
            }
            else if (response.Chunked)
            {
                result = await Http1ResponseBody.CopyChunkedAsync(exchange.Context, connection).ConfigureAwait(false);
            }
            else if (response.ContentLength >= 0 && !response.OtherTransferEncoding)
            {
                result = await Http1ResponseBody.CopyLengthAsync(exchange.Context.Response.Body, connection, response.ContentLength).ConfigureAwait(false);
            }
            else
            {
                keeps = false;
                result = await Http1ResponseBody.CopyToEndAsync(exchange.Context.Response.Body, connection).ConfigureAwait(false);
            }

            // Bytes past the response are not ours to guess at: such a connection is not reused.
            var reusable = result == Http1Outcome.Done && keeps && connection.Buffered == 0 && !last;
            if (body != null)
            {
                if (!body.IsCompleted)
                {
                    // The upstream answered before taking the whole body: that connection cannot carry another request.
                    reusable = false;
                    connection.Close();
                    abandon!.Cancel();
                }

                reusable &= await body.ConfigureAwait(false) == Http1Outcome.Done;
            }

            return (result, reusable);
        }
        finally
        {
            abandon?.Dispose();
        }
    }

    /// <summary>Puts the upstream's status and fields into the downstream response, unless the try is declined for a retry (false).</summary>
    private static bool Commit(Exchange exchange, Http1Connection connection)
    {
        var head = connection.Head;
        var data = connection.Buffer.AsSpan(connection.Start, head.Length);
        var grpcStatus = head.FieldCount > 0 && exchange.Route.RetryPolicy != null ? Http1Wire.FieldValue(head, data, "grpc-status"u8) : null;
        if (exchange.DeclinesResponse(head.Status, grpcStatus))
        {
            return false;
        }

        var response = exchange.Context.Response;
        response.StatusCode = head.Status;
        Http1Wire.CopyFields(head, data, response.Headers, connection.LastFieldValues ??= new string?[Http1Wire.KnownFieldCount]);
        exchange.ApplyResponseEdits();
        connection.Start += head.Length;
        return true;
    }

    private static async Task<Http1Outcome> SendBodyAsync(Exchange exchange, Http1Connection connection, bool chunked, CancellationToken abandon)
    {
        var source = exchange.Context.Request.Body;
        var buffer = ArrayPool<byte>.Shared.Rent(BodyChunk + ChunkPrefix + 2);
        try
        {
            while (true)
            {
                int read;
                try
                {
                    read = await source.ReadAsync(buffer.AsMemory(ChunkPrefix, BodyChunk), abandon).ConfigureAwait(false);
                }
                catch (Exception) when (!abandon.IsCancellationRequested)
                {
                    // The client's body failed (aborted, malformed, too large): end the upstream try with it.
                    connection.Close();
                    return Http1Outcome.Downstream;
                }
                catch (Exception)
                {
                    return Http1Outcome.ResetBeforeResponse;
                }

                var frame = chunked ? Frame(buffer, read) : buffer.AsMemory(ChunkPrefix, read);
                if (frame.Length > 0)
                {
                    try
                    {
                        await SendAllAsync(connection.Socket, frame).ConfigureAwait(false);
                    }
                    catch (Exception e) when (IsIo(e))
                    {
                        return Http1Outcome.ResetBeforeResponse;
                    }
                }

                if (read == 0)
                {
                    return Http1Outcome.Done;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Wraps the <paramref name="length"/> bytes at <see cref="ChunkPrefix"/> as one chunk; length 0 gives the last chunk.</summary>
    private static Memory<byte> Frame(byte[] buffer, int length)
    {
        if (length == 0)
        {
            "0\r\n\r\n"u8.CopyTo(buffer);
            return buffer.AsMemory(0, 5);
        }

        Span<byte> size = stackalloc byte[8];
        length.TryFormat(size, out var digits, "X", System.Globalization.CultureInfo.InvariantCulture);
        var start = ChunkPrefix - digits - 2;
        size[..digits].CopyTo(buffer.AsSpan(start));
        "\r\n"u8.CopyTo(buffer.AsSpan(ChunkPrefix - 2));
        "\r\n"u8.CopyTo(buffer.AsSpan(ChunkPrefix + length));
        return buffer.AsMemory(start, length + digits + 4);
    }

    private static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        while (data.Length > 0)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None).ConfigureAwait(false);
            data = data[sent..];
        }
    }

    internal static bool IsIo(Exception e) => e is SocketException or IOException or ObjectDisposedException or OperationCanceledException;
}
