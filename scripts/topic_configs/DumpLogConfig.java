import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.common.config.ConfigDef;

/**
 * Prints the topic-level ConfigDef of the Kafka release on the classpath, one config a line:
 * name TAB type TAB default TAB validator-class TAB validator-text TAB internal.
 *
 * LogConfig moved from the core module (Scala, kafka.log.LogConfig, up to 3.5) to the
 * storage module (org.apache.kafka.storage.internals.log.LogConfig, 3.6 on); both are found
 * by reflection, so one source compiles against kafka-clients alone.
 */
public final class DumpLogConfig {
    private static final String[] CLASSES = {
        "org.apache.kafka.storage.internals.log.LogConfig",
        "kafka.log.LogConfig$",
        "kafka.log.LogConfig",
    };

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("synonyms")) {
            dumpSynonyms();
            return;
        }
        ConfigDef def = findConfigDef();
        Map<String, ConfigDef.ConfigKey> keys = new TreeMap<>(def.configKeys());
        for (ConfigDef.ConfigKey key : keys.values()) {
            String dflt = key.hasDefault() ? ConfigDef.convertToString(key.defaultValue, key.type) : null;
            String validator = key.validator == null ? "" : key.validator.getClass().getName();
            String validatorText = key.validator == null ? "" : key.validator.toString();
            System.out.println(String.join("\t", key.name, key.type.name(), dflt == null ? "\\N" : escape(dflt),
                    validator, escape(validatorText), Boolean.toString(isInternal(key))));
        }
    }

    /**
     * The broker configs each topic config falls back to, in precedence order:
     * topic TAB broker-name TAB what the broker value "1" means for the topic (the converter,
     * "3600000" for an hours setting). Kafka 3.5+ (ServerTopicConfigSynonyms); nothing before.
     */
    private static void dumpSynonyms() throws Exception {
        Class<?> cls;
        try {
            cls = Class.forName("org.apache.kafka.server.config.ServerTopicConfigSynonyms");
        } catch (ClassNotFoundException e) {
            return;
        }
        @SuppressWarnings("unchecked")
        Map<String, java.util.List<Object>> all =
                (Map<String, java.util.List<Object>>) cls.getField("ALL_TOPIC_CONFIG_SYNONYMS").get(null);
        for (Map.Entry<String, java.util.List<Object>> entry : new TreeMap<>(all).entrySet()) {
            for (Object synonym : entry.getValue()) {
                String name = (String) synonym.getClass().getMethod("name").invoke(synonym);
                @SuppressWarnings("unchecked")
                java.util.function.Function<String, String> converter =
                        (java.util.function.Function<String, String>) synonym.getClass().getMethod("converter").invoke(synonym);
                System.out.println(String.join("\t", entry.getKey(), name, converter.apply("1")));
            }
        }
    }

    private static String escape(String text) {
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n");
    }

    private static boolean isInternal(ConfigDef.ConfigKey key) throws IllegalAccessException {
        try {
            Field field = ConfigDef.ConfigKey.class.getField("internalConfig");
            return field.getBoolean(key);
        } catch (NoSuchFieldException e) {
            return false;
        }
    }

    private static ConfigDef findConfigDef() throws Exception {
        for (String name : CLASSES) {
            Class<?> cls;
            try {
                cls = Class.forName(name);
            } catch (ClassNotFoundException e) {
                continue;
            }
            Object module = null;
            try {
                module = cls.getField("MODULE$").get(null);  // a Scala object
            } catch (NoSuchFieldException e) {
                // a Java class: static members only
            }
            ConfigDef def = fromMethods(cls, module);
            if (def == null) {
                def = fromFields(cls, module);
            }
            if (def != null) {
                return def;
            }
        }
        throw new IllegalStateException("no LogConfig ConfigDef on the classpath");
    }

    private static ConfigDef fromMethods(Class<?> cls, Object module) throws Exception {
        for (String preferred : new String[] {"configDefCopy", "configDef"}) {
            for (Method method : cls.getDeclaredMethods()) {
                if (method.getName().equals(preferred) && method.getParameterCount() == 0
                        && ConfigDef.class.isAssignableFrom(method.getReturnType())) {
                    method.setAccessible(true);
                    Object target = Modifier.isStatic(method.getModifiers()) ? null : module;
                    if (target == null && !Modifier.isStatic(method.getModifiers())) {
                        continue;
                    }
                    return (ConfigDef) method.invoke(target);
                }
            }
        }
        return null;
    }

    private static ConfigDef fromFields(Class<?> cls, Object module) throws Exception {
        for (Field field : cls.getDeclaredFields()) {
            if (ConfigDef.class.isAssignableFrom(field.getType())) {
                field.setAccessible(true);
                Object target = Modifier.isStatic(field.getModifiers()) ? null : module;
                if (target == null && !Modifier.isStatic(field.getModifiers())) {
                    continue;
                }
                return (ConfigDef) field.get(target);
            }
        }
        return null;
    }
}
