import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;

/**
 * Avro Java's verdict for each case, decided the way Confluent Schema Registry's AvroSchema
 * decides: the new schema parsed with default validation, registered versions without;
 * SchemaCompatibility.checkReaderWriterCompatibility per version and direction; an
 * exception during the check counts as incompatible.
 *
 * Input: one JSON object a line with id, level, previous (texts, oldest first), new (text).
 * Output: "id<TAB>true|false|invalid: reason" a line.
 */
public class AvroJavaVerdicts {
  static Schema parse(String text, boolean validateDefaults) {
    Schema.Parser parser = new Schema.Parser();
    parser.setValidateDefaults(validateDefaults);
    return parser.parse(text);
  }

  static boolean reads(Schema reader, Schema writer) {
    try {
      return SchemaCompatibility.checkReaderWriterCompatibility(reader, writer).getType()
          == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE;
    } catch (RuntimeException e) {
      return false;
    }
  }

  static boolean compatible(String level, Schema fresh, List<Schema> previous) {
    if (level.equals("NONE") || previous.isEmpty()) {
      return true;
    }
    List<Schema> checked = level.endsWith("_TRANSITIVE")
        ? previous : previous.subList(previous.size() - 1, previous.size());
    boolean ok = true;
    for (Schema old : checked) {
      if (level.startsWith("BACKWARD") || level.startsWith("FULL")) {
        ok &= reads(fresh, old);
      }
      if (level.startsWith("FORWARD") || level.startsWith("FULL")) {
        ok &= reads(old, fresh);
      }
    }
    return ok;
  }

  public static void main(String[] args) throws Exception {
    ObjectMapper mapper = new ObjectMapper();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      JsonNode c = mapper.readTree(line);
      String verdict;
      try {
        Schema fresh = parse(c.get("new").asText(), true);
        List<Schema> previous = new ArrayList<>();
        for (JsonNode p : c.get("previous")) {
          previous.add(parse(p.asText(), false));
        }
        verdict = Boolean.toString(compatible(c.get("level").asText(), fresh, previous));
      } catch (RuntimeException e) {
        verdict = "invalid: " + e.getClass().getSimpleName() + ": " + e.getMessage();
      }
      System.out.println(c.get("id").asText() + "\t" + verdict);
    }
  }
}
