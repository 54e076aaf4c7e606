using System.Text;
using Meshwork.Config.Reading;

namespace Meshwork.Config.Tests.Reading;

public class JsonReaderTests
{
    private static ReadResult Read(string json) => JsonReader.Read(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Read_Object_KeepsLinesOfNestedValues()
    {
        var result = Read("{\n  \"spec\": {\n    \"hosts\": [\n      \"a\",\n      \"b\"\n    ]\n  }\n}\n");
        var root = (MappingNode)result.Documents.Single().Root!;
        var hosts = (SequenceNode)((MappingNode)root["spec"]!)["hosts"]!;

        Assert.Equal([4, 5], hosts.Items.Select(i => i.Line));
    }

    [Fact]
    public void Read_TopLevelArray_GivesOneDocumentPerItem()
    {
        var result = Read("[{\"a\": 1},\n {\"b\": 2}]");

        Assert.Equal([1, 2], result.Documents.Select(d => d.Line));
    }

    [Fact]
    public void Read_Numbers_ArePlainAndStringsQuoted()
    {
        var root = (MappingNode)Read("{\"n\": 80, \"s\": \"80\", \"b\": true, \"z\": null}").Documents[0].Root!;

        Assert.Equal(ScalarKind.Int, ((ScalarNode)root["n"]!).Kind);
        Assert.Equal(ScalarKind.String, ((ScalarNode)root["s"]!).Kind);
        Assert.Equal(ScalarKind.Bool, ((ScalarNode)root["b"]!).Kind);
        Assert.Equal(ScalarKind.Null, ((ScalarNode)root["z"]!).Kind);
    }

    [Theory]
    [InlineData("{\"a\": 1,}", 1)]
    [InlineData("{\n\"a\": \n}", 3)]
    [InlineData("{\"a\": tru}", 1)]
    public void Read_Malformed_GivesLocatedError(string json, int line)
    {
        var result = Read(json);

        Assert.NotNull(result.Error);
        Assert.StartsWith("malformed JSON: ", result.Error!.Message);
        Assert.Equal(line, result.Error.Line);
    }

    [Fact]
    public void Read_5000Deep_IsRefused()
    {
        var result = Read(new string('[', 5000) + new string(']', 5000));

        Assert.Equal("nesting is deeper than 256 levels", result.Error?.Message);
    }
}
