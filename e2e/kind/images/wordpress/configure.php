<?php
// Writes /etc/wordpress/config-default.php (the file Debian's wp-config.php reads when no
// per-host file exists) from the environment, each value as a PHP literal.
$settings = [
    'DB_HOST' => getenv('WORDPRESS_DATABASE_HOST'),
    'DB_NAME' => getenv('WORDPRESS_DATABASE_NAME'),
    'DB_USER' => getenv('WORDPRESS_DATABASE_USER'),
    'DB_PASSWORD' => getenv('WORDPRESS_DATABASE_PASSWORD'),
    // Errors go to Apache's error log (stderr), never into the page. Not through a file
    // (WP_DEBUG_LOG): Apache's workers run as www-data and may not reopen the container's
    // stderr, which root owns.
    'WP_DEBUG' => true,
    'WP_DEBUG_DISPLAY' => false,
    'WP_DEBUG_LOG' => false,
];
$php = "<?php\n";
foreach ($settings as $name => $value) {
    $php .= 'define(' . var_export($name, true) . ', ' . var_export($value, true) . ");\n";
}
// The site answers under the name the client used (the Service's, a port-forward's), so it
// never redirects to another.
$php .= <<<'PHP'
if (isset($_SERVER['HTTP_HOST'])) {
    define('WP_HOME', 'http://' . preg_replace('/[^A-Za-z0-9.:-]/', '', $_SERVER['HTTP_HOST']));
    define('WP_SITEURL', WP_HOME);
}

PHP;
file_put_contents('/etc/wordpress/config-default.php', $php);
