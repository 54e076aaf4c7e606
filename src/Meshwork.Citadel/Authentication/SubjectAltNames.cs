using System.Formats.Asn1;

namespace Meshwork.Citadel.Authentication;

/// <summary>
/// The names in a subjectAltName extension (RFC 5280 4.2.1.6). .NET enumerates DNS names and IP
/// addresses but not URIs, and SPIFFE identities are URIs.
/// </summary>
internal sealed record SubjectAltNames(IReadOnlyList<string> Uris, int OtherNames)
{
    private static readonly Asn1Tag Uri = new(TagClass.ContextSpecific, 6);

    public static SubjectAltNames Read(byte[]? extension)
    {
        if (extension == null)
        {
            return new SubjectAltNames([], 0);
        }

        var uris = new List<string>();
        var others = 0;
        var reader = new AsnReader(extension, AsnEncodingRules.DER);
        var names = reader.ReadSequence();
        reader.ThrowIfNotEmpty();
        while (names.HasData)
        {
            var tag = names.PeekTag();
            if (tag.HasSameClassAndValue(Uri))
            {
                uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, Uri));
            }
            else
            {
                names.ReadEncodedValue();
                others++;
            }
        }

        return new SubjectAltNames(uris, others);
    }
}
