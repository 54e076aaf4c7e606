using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Meshwork.Proxy.Upstream;

namespace Meshwork.Proxy.Http;

/// <summary>
/// Copies an upstream HTTP/1.1 response body to the downstream response as its framing says:
/// a Content-Length, chunks (decoded; Kestrel frames the downstream side itself, and trailers
/// go on when the downstream protocol carries them), or everything until the server closes.
/// Each copy says whether the body ended cleanly, which is what lets the connection be reused.
/// </summary>
internal static class Http1ResponseBody
{
    public static async ValueTask<Http1Outcome> CopyLengthAsync(Stream destination, Http1Connection connection, long remaining)
    {
        while (remaining > 0)
        {
            if (connection.Buffered == 0 && (!connection.MakeRoom(Http1Client.MaxHeadBytes) || await FillAsync(connection).ConfigureAwait(false) <= 0))
            {
                return Http1Outcome.ResetAfterResponse;
            }

            var count = (int)Math.Min(remaining, connection.Buffered);
            if (!await WriteAsync(destination, connection.Buffer.AsMemory(connection.Start, count)).ConfigureAwait(false))
            {
                return Http1Outcome.Downstream;
            }

            connection.Start += count;
            remaining -= count;
        }

        return Http1Outcome.Done;
    }

    public static async ValueTask<Http1Outcome> CopyToEndAsync(Stream destination, Http1Connection connection)
    {
        while (true)
        {
            if (connection.Buffered > 0)
            {
                if (!await WriteAsync(destination, connection.Buffer.AsMemory(connection.Start, connection.Buffered)).ConfigureAwait(false))
                {
                    return Http1Outcome.Downstream;
                }

                connection.Start = connection.End;
            }

            connection.MakeRoom(Http1Client.MaxHeadBytes);
            var read = await FillAsync(connection).ConfigureAwait(false);
            if (read == 0)
            {
                return Http1Outcome.Done;
            }

            if (read < 0)
            {
                return Http1Outcome.ResetAfterResponse;
            }
        }
    }

    public static async ValueTask<Http1Outcome> CopyChunkedAsync(HttpContext context, Http1Connection connection)
    {
        var destination = context.Response.Body;
        while (true)
        {
            long size;
            int consumed;
            Http1Parse parsed;
            while ((parsed = Http1ResponseHead.ParseChunkSize(connection.Buffer.AsSpan(connection.Start, connection.Buffered), out size, out consumed)) == Http1Parse.Incomplete)
            {
                if (!await MoreAsync(connection).ConfigureAwait(false))
                {
                    return Http1Outcome.ResetAfterResponse;
                }
            }

            if (parsed == Http1Parse.Malformed)
            {
                return Http1Outcome.ResetAfterResponse;
            }

            connection.Start += consumed;
            if (size == 0)
            {
                break;
            }

            var copied = await CopyLengthAsync(destination, connection, size).ConfigureAwait(false);
            if (copied != Http1Outcome.Done)
            {
                return copied;
            }

            while (connection.Buffered < 2)
            {
                if (!await MoreAsync(connection).ConfigureAwait(false))
                {
                    return Http1Outcome.ResetAfterResponse;
                }
            }

            if (connection.Buffer[connection.Start] != (byte)'\r' || connection.Buffer[connection.Start + 1] != (byte)'\n')
            {
                return Http1Outcome.ResetAfterResponse;
            }

            connection.Start += 2;
        }

        var trailers = connection.Head;
        Http1Parse end;
        while ((end = trailers.ParseTrailers(connection.Buffer.AsSpan(connection.Start, connection.Buffered))) == Http1Parse.Incomplete)
        {
            if (!await MoreAsync(connection).ConfigureAwait(false))
            {
                return Http1Outcome.ResetAfterResponse;
            }
        }

        if (end == Http1Parse.Malformed)
        {
            return Http1Outcome.ResetAfterResponse;
        }

        if (trailers.FieldCount > 0 && context.Response.SupportsTrailers())
        {
            CopyTrailers(context.Response, connection);
        }

        connection.Start += trailers.Length;
        return Http1Outcome.Done;
    }

    private static void CopyTrailers(HttpResponse response, Http1Connection connection)
    {
        var trailers = new HeaderDictionary();
        Http1Wire.CopyFields(connection.Head, connection.Buffer.AsSpan(connection.Start, connection.Head.Length), trailers);
        foreach (var (name, values) in trailers)
        {
            response.AppendTrailer(name, values);
        }
    }

    /// <summary>Receives more bytes for a parse in progress; false at end of stream, on error, or past the head limit.</summary>
    private static async ValueTask<bool> MoreAsync(Http1Connection connection) =>
        connection.MakeRoom(Http1Client.MaxHeadBytes) && await FillAsync(connection).ConfigureAwait(false) > 0;

    /// <summary>
    /// Receives more bytes after the connection's buffered ones (call <see cref="Http1Connection.MakeRoom"/> first):
    /// how many, 0 at end of stream, -1 when the connection failed (reset, closed by a timeout). The response of
    /// nearly every exchange waits here, so its state machine comes from the builder's pool (one per thread
    /// and one per core) when one is free. A receive that waited records the thread it completed on, which
    /// <see cref="Http1Pool"/> uses to hand the connection to requests on that thread.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<int> FillAsync(Http1Connection connection)
    {
        try
        {
            var receive = connection.Socket.ReceiveAsync(connection.Buffer.AsMemory(connection.End), SocketFlags.None);
            int read;
            if (receive.IsCompleted)
            {
                read = receive.GetAwaiter().GetResult();
            }
            else
            {
                read = await receive.ConfigureAwait(false);
                connection.EventThread = Environment.CurrentManagedThreadId;
            }

            connection.End += read;
            return read;
        }
        catch (Exception e) when (Http1Client.IsIo(e))
        {
            return -1;
        }
    }

    private static async ValueTask<bool> WriteAsync(Stream destination, ReadOnlyMemory<byte> data)
    {
        try
        {
            await destination.WriteAsync(data).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            return false;
        }
    }
}
