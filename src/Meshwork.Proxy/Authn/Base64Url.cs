namespace Meshwork.Proxy.Authn;

/// <summary>Base64url (RFC 7515 §2) as JWTs and JWKS carry their parts: unpadded, though padded input is accepted too.</summary>
internal static class Base64Url
{
    public static bool TryDecode(ReadOnlySpan<char> text, out byte[] bytes)
    {
        text = text.TrimEnd('=');
        if (!System.Buffers.Text.Base64Url.IsValid(text))
        {
            bytes = [];
            return false;
        }

        var buffer = new byte[System.Buffers.Text.Base64Url.GetMaxDecodedLength(text.Length)];
        if (!System.Buffers.Text.Base64Url.TryDecodeFromChars(text, buffer, out var written))
        {
            bytes = [];
            return false;
        }

        bytes = written == buffer.Length ? buffer : buffer[..written];
        return true;
    }
}
